/*
 * A flash driver of realistic size for the firmware measurements: the
 * nRF52's memory-mapped flash, read with memcpy, programmed word by word and
 * erased page by page through the NVMC registers. No RAM of its own.
 */
#ifndef FLASH_NRF52_H
#define FLASH_NRF52_H

#include <stdint.h>
#include <string.h>

#include "fleet_update.h"

#define NVMC_READY (*(volatile uint32_t *)0x4001E400u)
#define NVMC_CONFIG (*(volatile uint32_t *)0x4001E504u)
#define NVMC_ERASEPAGE (*(volatile uint32_t *)0x4001E508u)
#define FLASH_BASE 0x00040000u /* the update area: the upper half of 1 MiB */

static void nvmc_wait(void) {
    while (NVMC_READY == 0) {
    }
}

static int flash_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
    (void)ctx;
    memcpy(buf, (const void *)(uintptr_t)(FLASH_BASE + off), len);
    return 0;
}

static int flash_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
    size_t i;
    (void)ctx;
    NVMC_CONFIG = 1; /* write enable */
    for (i = 0; i < len; i += 4) {
        uint32_t word;
        memcpy(&word, buf + i, 4);
        *(volatile uint32_t *)(uintptr_t)(FLASH_BASE + off + i) = word;
        nvmc_wait();
    }
    NVMC_CONFIG = 0;
    return 0;
}

static int flash_erase(void *ctx, uint32_t from, uint32_t to) {
    (void)ctx;
    NVMC_CONFIG = 2; /* erase enable */
    for (; from < to; from += 4096) {
        NVMC_ERASEPAGE = FLASH_BASE + from;
        nvmc_wait();
    }
    NVMC_CONFIG = 0;
    return 0;
}

/* 256 KiB, 4-byte words, 4 KiB pages; 64 KiB images. */
static const fu_dfu_flash flash = {0, 256 * 1024, 1, 4, 4096, flash_read, flash_write, flash_erase};
static const fu_dfu_layout layout = {
    {4 * 4096, 16 * 4096}, /* active */
    {20 * 4096, 17 * 4096}, /* update */
    {0, 2 * 4096},         /* boot state */
    {2 * 4096, 2 * 4096},  /* progress */
};

#define RESET_CAUSE (*(volatile uint8_t *)0x40000400u)
#define SYSTEM_RESET() (*(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u)

#endif
