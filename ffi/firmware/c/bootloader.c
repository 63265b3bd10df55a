/* A bootloader through the C API: one fu_dfu_boot per reset, then the jump. */
#include "flash_nrf52.h"

#define JUMP_TARGET (*(volatile uint32_t *)0x20000000u)

static void on_panic(const uint8_t *file, size_t len, uint32_t line) {
    (void)file;
    (void)len;
    (void)line;
    SYSTEM_RESET();
}

int main(void) {
    fu_dfu_boot_decision d;
    fu_result r;
    fu_set_panic_hook(on_panic);
    r = fu_dfu_boot(&flash, &layout, RESET_CAUSE, &d);
    /* On an error the active bank is started anyway; the next reset retries. */
    JUMP_TARGET = r == FU_OK ? d.image.size : 0;
    for (;;) {
    }
}
