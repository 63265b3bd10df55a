/*
 * A NOR flash in RAM for the C test programs: erase to 0xFF, each write unit
 * programmed at most once between erases, programming only clears bits, and
 * a power cut scheduled at one program/erase operation that tears none,
 * half or all of it (the rules of dfu-protocol's SimFlash, written again in
 * C so that the C API is driven by a C flash).
 */
#ifndef NOR_SIM_H
#define NOR_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_update.h"

enum tear { TEAR_NONE, TEAR_HALF, TEAR_FULL };

/* Callback return codes: any non-zero value fails the operation. */
enum { NOR_OK = 0, NOR_UNALIGNED = -1, NOR_OUT_OF_BOUNDS = -2, NOR_NOT_ERASED = -3, NOR_POWER_OFF = -4 };

struct nor {
    uint8_t *mem;
    bool *programmed; /* one per write unit */
    uint32_t capacity, write_size, erase_size;
    uint64_t ops;
    bool cut_pending;
    uint64_t cut_at;
    enum tear cut_tear;
    bool powered;
};

static inline int nor_init(struct nor *f, uint32_t capacity, uint32_t write_size, uint32_t erase_size) {
    memset(f, 0, sizeof *f);
    capacity = (capacity + erase_size - 1) / erase_size * erase_size;
    f->mem = malloc(capacity);
    f->programmed = calloc(capacity / write_size, sizeof *f->programmed);
    if (f->mem == NULL || f->programmed == NULL) {
        free(f->mem);
        free(f->programmed);
        return -1;
    }
    memset(f->mem, 0xFF, capacity);
    f->capacity = capacity;
    f->write_size = write_size;
    f->erase_size = erase_size;
    f->powered = true;
    return 0;
}

static inline void nor_free(struct nor *f) {
    free(f->mem);
    free(f->programmed);
    memset(f, 0, sizeof *f);
}

/* Writes bytes bypassing the NOR rules (factory programming). */
static inline void nor_factory_program(struct nor *f, uint32_t offset, const uint8_t *data, size_t len) {
    size_t i;
    memcpy(f->mem + offset, data, len);
    for (i = offset / f->write_size; i < (offset + len + f->write_size - 1) / f->write_size; i++) {
        f->programmed[i] = true;
    }
}

static inline void nor_schedule_cut(struct nor *f, uint64_t at_op, enum tear tear) {
    f->cut_pending = true;
    f->cut_at = at_op;
    f->cut_tear = tear;
}

/* Counts one operation; returns how much of it lands. */
static inline enum tear nor_step(struct nor *f) {
    uint64_t op = f->ops++;
    if (f->cut_pending && f->cut_at == op) {
        f->cut_pending = false;
        f->powered = false;
        return f->cut_tear;
    }
    return TEAR_FULL;
}

static inline int nor_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len) {
    struct nor *f = ctx;
    if (!f->powered) {
        return NOR_POWER_OFF;
    }
    if ((uint64_t)offset + len > f->capacity) {
        return NOR_OUT_OF_BOUNDS;
    }
    memcpy(buf, f->mem + offset, len);
    return NOR_OK;
}

static inline int nor_write(void *ctx, uint32_t offset, const uint8_t *buf, size_t len) {
    struct nor *f = ctx;
    size_t i, land, end = (size_t)offset + len, touched;
    enum tear tear;
    if (offset % f->write_size != 0 || len % f->write_size != 0) {
        return NOR_UNALIGNED;
    }
    if (end > f->capacity) {
        return NOR_OUT_OF_BOUNDS;
    }
    if (!f->powered) {
        return NOR_POWER_OFF;
    }
    for (i = offset / f->write_size; i < end / f->write_size; i++) {
        if (f->programmed[i]) {
            return NOR_NOT_ERASED;
        }
    }
    tear = nor_step(f);
    land = tear == TEAR_NONE ? 0 : tear == TEAR_HALF ? len / 2 : len;
    for (i = 0; i < land; i++) {
        f->mem[offset + i] &= buf[i];
    }
    touched = offset + land;
    if (tear == TEAR_HALF && offset + land < end) {
        /* The unit at the cut is left half-programmed: some bits cleared. */
        f->mem[offset + land] &= 0x5A;
        touched = offset + land + 1;
    }
    for (i = offset / f->write_size; i < (touched + f->write_size - 1) / f->write_size; i++) {
        f->programmed[i] = true;
    }
    return f->powered ? NOR_OK : NOR_POWER_OFF;
}

static inline int nor_erase(void *ctx, uint32_t from, uint32_t to) {
    struct nor *f = ctx;
    uint32_t page, i, end;
    enum tear tear;
    if (from % f->erase_size != 0 || to % f->erase_size != 0 || from > to) {
        return NOR_UNALIGNED;
    }
    if (to > f->capacity) {
        return NOR_OUT_OF_BOUNDS;
    }
    for (page = from; page < to; page += f->erase_size) {
        if (!f->powered) {
            return NOR_POWER_OFF;
        }
        tear = nor_step(f);
        end = tear == TEAR_NONE ? page : tear == TEAR_HALF ? page + f->erase_size / 2 : page + f->erase_size;
        memset(f->mem + page, 0xFF, end - page);
        for (i = page / f->write_size; i < end / f->write_size; i++) {
            f->programmed[i] = false;
        }
        if (!f->powered) {
            return NOR_POWER_OFF;
        }
    }
    return NOR_OK;
}

/* The callback table for fleet_update. */
static inline fu_dfu_flash nor_table(struct nor *f) {
    fu_dfu_flash t;
    t.ctx = f;
    t.capacity = f->capacity;
    t.read_size = 1;
    t.write_size = f->write_size;
    t.erase_size = f->erase_size;
    t.read = nor_read;
    t.write = nor_write;
    t.erase = nor_erase;
    return t;
}

#endif
