/*
 * The device's receive path through the C API: decoder and updater
 * (fu_dfu_updater_receive), status encoder, confirm/reject, the panic hook. Caller storage is on main's
 * stack so that the RAM difference to empty.c is the library's own statics.
 */
#include "flash_nrf52.h"

#define UART_RX (*(volatile uint8_t *)0x40002518u)
#define UART_TX (*(volatile uint8_t *)0x4000251Cu)

static void on_panic(const uint8_t *file, size_t len, uint32_t line) {
    (void)file;
    (void)len;
    (void)line;
    SYSTEM_RESET();
}

int main(void) {
    static const uint8_t version[] = "1.0.0";
    fu_dfu_updater up;
    fu_dfu_decoder dec;
    uint8_t rx[4096 + 32];
    uint8_t tx[320];
    fu_set_panic_hook(on_panic);
    if (fu_dfu_updater_open(&up, &flash, &layout, 0) != FU_OK ||
        fu_dfu_decoder_init(&dec, rx, sizeof rx) != FU_OK) {
        SYSTEM_RESET();
    }
    for (;;) {
        uint8_t byte = UART_RX;
        fu_dfu_receive rc;
        size_t n, i;
        if (fu_dfu_updater_receive(&up, &dec, &byte, 1, &rc) != FU_OK || rc.action.kind == FU_DFU_ACTION_RESET) {
            SYSTEM_RESET();
        }
        if (rc.action.kind == FU_DFU_ACTION_SYNCED && rc.action.confirm_pending) {
            if (UART_RX & 1) {
                fu_dfu_updater_confirm(&up);
            } else {
                fu_dfu_updater_reject(&up, FU_DFU_REVERT_HEALTH_CHECK_FAILED);
                SYSTEM_RESET();
            }
        }
        if (fu_dfu_updater_encode_status(&up, version, sizeof version - 1, 0, tx, sizeof tx, &n) == FU_OK) {
            for (i = 0; i < n; i++) {
                UART_TX = tx[i];
            }
        }
    }
}
