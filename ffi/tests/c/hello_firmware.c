/*
 * hello_firmware.c: C firmware receiving an update through fleet_update.
 *
 * Everything the firmware owns is static (no heap): the updater, the
 * decoder, the receive buffer. The flash is a callback table. So that this
 * runs on a PC (the test harness builds and runs it), the flash is a RAM
 * array and the gateway answering the device lives in main(); on a device
 * the callbacks drive the NOR controller and the bytes come from the radio.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_update.h"

/* The flash: 64 KiB, 4-byte write units, 1 KiB pages (here in RAM). */
static uint8_t nor[64 * 1024];

static int flash_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
    (void)ctx;
    memcpy(buf, nor + off, len);
    return 0;
}

static int flash_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
    size_t i;
    (void)ctx;
    for (i = 0; i < len; i++) {
        nor[off + i] &= buf[i]; /* programming only clears bits */
    }
    return 0;
}

static int flash_erase(void *ctx, uint32_t from, uint32_t to) {
    (void)ctx;
    memset(nor + from, 0xFF, to - from);
    return 0;
}

static const fu_dfu_flash flash = {NULL, sizeof nor, 1, 4, 1024, flash_read, flash_write, flash_erase};

/* The firmware's state. */
static fu_dfu_layout layout;
static fu_dfu_updater up;
static fu_dfu_decoder dec;
static uint8_t rx[4096 + 32];
static bool reset_requested;

static void fault(const char *what, fu_result r) {
    fprintf(stderr, "%s: %s\n", what, fu_result_name(r));
    exit(1); /* on a device: NVIC_SystemReset() */
}

/* After every reset: the bootloader decides, then the application starts. */
static void firmware_start(fu_dfu_reset_cause cause) {
    fu_dfu_boot_decision boot;
    fu_result r = fu_dfu_boot(&flash, &layout, cause, &boot);
    if (r != FU_OK) {
        fault("boot", r); /* a bootloader starts the active bank anyway */
    }
    if ((r = fu_dfu_updater_open(&up, &flash, &layout, NULL)) != FU_OK) {
        fault("open", r);
    }
    if ((r = fu_dfu_decoder_init(&dec, rx, sizeof rx)) != FU_OK) {
        fault("decoder", r);
    }
    printf("booted image of %u bytes%s\n", (unsigned)boot.image.size,
           boot.phase == FU_DFU_PHASE_TRIAL ? ", on trial" : "");
}

/* The transport task hands every received byte to this (not the ISR). */
static void dfu_on_bytes(const uint8_t *p, size_t n) {
    while (n > 0) {
        fu_dfu_receive rc; /* decoder + updater in one call */
        fu_result r = fu_dfu_updater_receive(&up, &dec, p, n, &rc);
        if (r != FU_OK) {
            fault("receive", r); /* a flash error: a reset resumes */
        }
        p += rc.consumed;
        n -= rc.consumed;
        if (rc.action.kind == FU_DFU_ACTION_RESET) {
            reset_requested = true; /* on a device: NVIC_SystemReset() */
        }
        if (rc.action.kind == FU_DFU_ACTION_SYNCED && rc.action.confirm_pending) {
            /* The new image runs: health check passed, keep it. */
            if ((r = fu_dfu_updater_confirm(&up)) != FU_OK) {
                fault("confirm", r);
            }
        }
    }
}

int main(void) {
    static uint8_t v1[10000], v2[12345];
    static const uint8_t version[] = "1.0.0";
    uint8_t status[512];
    static uint8_t command[4096 + 32];
    fu_dfu_image factory, image;
    fu_dfu_progress progress;
    fu_dfu_frame frame;
    size_t i, n, used;
    fu_result r;

    /* Factory: lay out the flash, program v1, record it as confirmed. */
    for (i = 0; i < sizeof v1; i++) v1[i] = (uint8_t)i;
    for (i = 0; i < sizeof v2; i++) v2[i] = (uint8_t)(i * 7);
    memset(nor, 0xFF, sizeof nor);
    if ((r = fu_dfu_layout_suggest(&flash, 0, sizeof v2, &layout)) != FU_OK) fault("layout", r);
    memcpy(nor + layout.active.offset, v1, sizeof v1);
    fu_dfu_image_init(&factory, v1, sizeof v1);
    if ((r = fu_dfu_provision(&flash, &layout, sizeof v1, factory.digest)) != FU_OK) fault("provision", r);
    firmware_start(FU_DFU_RESET_POWER_ON);

    /* The gateway serves v2; status up, command down, until up to date. */
    fu_dfu_image_init(&image, v2, sizeof v2);
    do {
        r = fu_dfu_updater_encode_status(&up, version, sizeof version - 1, NULL, status, sizeof status, &n);
        if (r == FU_OK) r = fu_dfu_decode(status, n, &frame, &used);
        if (r == FU_OK) r = fu_dfu_session_respond(&image, NULL, &frame, command, sizeof command, &n, &progress);
        if (r != FU_OK) fault("exchange", r);
        dfu_on_bytes(command, n);
        if (reset_requested) {
            reset_requested = false;
            fu_dfu_updater_close(&up);
            fu_dfu_decoder_close(&dec);
            firmware_start(FU_DFU_RESET_SOFTWARE);
        }
    } while (progress.kind != FU_DFU_PROGRESS_UP_TO_DATE);

    if (memcmp(nor + layout.active.offset, v2, sizeof v2) != 0) {
        fprintf(stderr, "the active bank does not hold v2\n");
        return 1;
    }
    printf("updated to v2 and confirmed\n");
    fu_dfu_updater_close(&up);
    fu_dfu_decoder_close(&dec);
    return 0;
}
