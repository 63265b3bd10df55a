/*
 * Goal 1 of issue 12: power cuts through the C API.
 *
 * A C device (the NOR simulator of nor_sim.h, fu_dfu_boot at every reset, an
 * updater and a decoder in static storage) is updated by a C gateway
 * (fu_dfu_decode + fu_dfu_session_respond) over byte buffers. The power is
 * cut at every single program/erase operation of the update, tearing none,
 * half or all of it, in the three scenarios of
 * dfu-protocol/tests/power_cut.rs: an update that succeeds, one rolled back
 * (the new image fails its health check) and a second update (the update
 * bank held the rollback copy of the first). After every cut the device
 * reboots, and every boot must start exactly the old or the new image, with
 * the digest the bootloader recorded; every run must end on the new image
 * (healthy) or back on the old one (rolled back).
 *
 * Exit status 0 when every cut passes; the first failure is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_update.h"
#include "nor_sim.h"

#define W 4
#define E 256
#define RX_LEN (4096 + 32)

#define CHECK(cond, ...)                                                                            \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                    \
            fprintf(stderr, __VA_ARGS__);                                                           \
            fprintf(stderr, "\n");                                                                  \
            exit(1);                                                                                \
        }                                                                                           \
    } while (0)
#define CHECK_OK(call)                                                                              \
    do {                                                                                            \
        fu_result r_ = (call);                                                                      \
        CHECK(r_ == FU_OK, "%s: %s", #call, fu_result_name(r_));                                    \
    } while (0)

struct image {
    uint8_t *data;
    size_t len;
};

static struct image make_image(size_t len, uint8_t seed) {
    struct image img;
    size_t i;
    img.data = malloc(len);
    img.len = len;
    CHECK(img.data != NULL, "out of memory");
    for (i = 0; i < len; i++) {
        img.data[i] = (uint8_t)((uint8_t)((uint8_t)i * 13u + seed) ^ (uint8_t)(i >> 7));
    }
    return img;
}

struct scenario {
    const char *name;
    struct image pre; /* installed before the measured update, or len 0 */
    struct image old;
    struct image new_image; /* as served: starts with "BAD!" when unhealthy */
    uint32_t chunk;
    bool healthy;
};

/* The simulated MCU: storage for the library's handles is static, as on firmware. */
static fu_dfu_updater updater;
static fu_dfu_decoder decoder;
static uint8_t rx[RX_LEN];

struct device {
    struct nor flash;
    fu_dfu_flash table;
    fu_dfu_layout layout;
    bool running;
    fu_dfu_boot_decision last_boot;
};

static bool healthy_image(const uint8_t *data, size_t len) {
    return !(len >= 4 && memcmp(data, "BAD!", 4) == 0);
}

/* A reset: run the bootloader, then start the application (updater + decoder).
 * Returns false when the power failed on the way (the flash is off). */
static bool device_reboot(struct device *d, fu_dfu_reset_cause cause) {
    fu_dfu_updater_close(&updater);
    fu_dfu_decoder_close(&decoder);
    d->running = false;
    d->flash.powered = true;
    fu_result r = fu_dfu_boot(&d->table, &d->layout, cause, &d->last_boot);
    if (r == FU_ERR_DFU_FLASH) {
        CHECK(!d->flash.powered, "boot failed with the power on");
        return false;
    }
    CHECK_OK(r);
    r = fu_dfu_updater_open(&updater, &d->table, &d->layout, NULL);
    if (r == FU_ERR_DFU_FLASH) {
        CHECK(!d->flash.powered, "open failed with the power on");
        return false;
    }
    CHECK_OK(r);
    CHECK_OK(fu_dfu_decoder_init(&decoder, rx, sizeof rx));
    d->running = true;
    return true;
}

static void power_back(struct device *d) {
    int tries = 0;
    while (!device_reboot(d, FU_DFU_RESET_POWER_ON)) {
        tries++;
        CHECK(tries < 3, "the device does not come back");
    }
}

/* Whatever boots is exactly the old or the new image and has the recorded digest. */
static void assert_valid_boot(const struct device *d, const struct scenario *s, const char *when) {
    const uint8_t *active = d->flash.mem + d->layout.active.offset;
    size_t len = d->last_boot.image.size;
    fu_dfu_image running;
    bool is_old = len == s->old.len && memcmp(active, s->old.data, len) == 0;
    bool is_new = len == s->new_image.len && memcmp(active, s->new_image.data, len) == 0;
    CHECK(is_old || is_new, "%s (%s): the active bank holds neither image", s->name, when);
    CHECK_OK(fu_dfu_image_init(&running, active, len));
    CHECK(memcmp(running.digest, d->last_boot.image.digest, 32) == 0, "%s (%s): digest", s->name, when);
}

static void device_new(struct device *d, const struct scenario *s, uint32_t max_image, const struct image *factory) {
    fu_dfu_image f;
    memset(d, 0, sizeof *d);
    CHECK(nor_init(&d->flash, 64 * 1024, W, E) == 0, "out of memory");
    d->table = nor_table(&d->flash);
    CHECK_OK(fu_dfu_layout_suggest(&d->table, 0, max_image, &d->layout));
    nor_factory_program(&d->flash, d->layout.active.offset, factory->data, factory->len);
    CHECK_OK(fu_dfu_image_init(&f, factory->data, factory->len));
    CHECK_OK(fu_dfu_provision(&d->table, &d->layout, (uint32_t)factory->len, f.digest));
    CHECK(device_reboot(d, FU_DFU_RESET_POWER_ON), "%s: factory boot", s->name);
}

enum step { STEP_GOING, STEP_DONE, STEP_POWER_LOST };

/* One round trip: status up, command down, the device acts on it. */
static enum step round_trip(struct device *d, const struct scenario *s, const fu_dfu_image *served,
                            const fu_dfu_session_config *cfg, fu_dfu_progress *progress) {
    static uint8_t up[512], down[RX_LEN];
    static const uint8_t version[] = "c-firmware";
    size_t n, m, consumed, at = 0;
    fu_dfu_frame status;
    fu_result r;

    /* Device: its status. */
    CHECK_OK(fu_dfu_updater_encode_status(&updater, version, sizeof version - 1, NULL, up, sizeof up, &n));
    /* Gateway: decode it, answer it. */
    CHECK_OK(fu_dfu_decode(up, n, &status, &consumed));
    CHECK(consumed == n, "status length");
    CHECK_OK(fu_dfu_session_respond(served, cfg, &status, down, sizeof down, &m, progress));
    /* Device: the command arrives in two pieces through the decoder. */
    while (at < m) {
        size_t piece = at == 0 ? (m > 7 ? 7 : m) : m - at;
        fu_dfu_feed feed;
        fu_dfu_action action;
        CHECK_OK(fu_dfu_decoder_feed(&decoder, down + at, piece, &feed));
        at += feed.consumed;
        if (feed.kind == FU_DFU_FEED_ERROR) {
            CHECK(0, "%s: a good frame failed to decode: %s", s->name, fu_result_name(feed.error));
        }
        if (feed.kind != FU_DFU_FEED_FRAME) {
            continue;
        }
        r = fu_dfu_updater_handle(&updater, &feed.frame, &action);
        if (r == FU_ERR_DFU_FLASH) {
            int rc = 0;
            CHECK_OK(fu_dfu_updater_last_flash_error(&updater, &rc));
            CHECK(rc == NOR_POWER_OFF && !d->flash.powered, "flash failed with rc %d", rc);
            return STEP_POWER_LOST;
        }
        CHECK_OK(r);
        if (action.kind == FU_DFU_ACTION_RESET) {
            if (!device_reboot(d, FU_DFU_RESET_SOFTWARE)) {
                return STEP_POWER_LOST;
            }
            assert_valid_boot(d, s, "after reset");
            return STEP_GOING;
        }
        if (action.kind == FU_DFU_ACTION_SYNCED && action.confirm_pending) {
            const uint8_t *active = d->flash.mem + d->layout.active.offset;
            if (healthy_image(active, d->last_boot.image.size)) {
                r = fu_dfu_updater_confirm(&updater);
                if (r == FU_ERR_DFU_FLASH) {
                    return STEP_POWER_LOST;
                }
                CHECK_OK(r);
            } else {
                /* The application crashes; the bootloader learns it was a fault. */
                if (!device_reboot(d, FU_DFU_RESET_FAULT)) {
                    return STEP_POWER_LOST;
                }
                assert_valid_boot(d, s, "after crash");
                return STEP_GOING;
            }
        }
    }
    return progress->kind == FU_DFU_PROGRESS_UP_TO_DATE || progress->kind == FU_DFU_PROGRESS_ROLLED_BACK
               ? STEP_DONE
               : STEP_GOING;
}

static void drive(struct device *d, const struct scenario *s, const struct image *image, bool may_cut,
                  fu_dfu_progress *progress) {
    fu_dfu_image served;
    fu_dfu_session_config cfg;
    int round;
    CHECK_OK(fu_dfu_image_init(&served, image->data, image->len));
    fu_dfu_session_config_default(&cfg);
    cfg.max_chunk = s->chunk;
    for (round = 0; round < 10000; round++) {
        enum step st = round_trip(d, s, &served, &cfg, progress);
        if (st == STEP_DONE) {
            return;
        }
        if (st == STEP_POWER_LOST) {
            CHECK(may_cut, "%s: power lost without a cut", s->name);
            power_back(d);
            assert_valid_boot(d, s, "after power cut");
        }
    }
    CHECK(0, "%s: no end after 10000 rounds", s->name);
}

/* Runs the measured update, cutting the power at operation `k` (if `cut`). Returns the operations used. */
static uint64_t run(const struct scenario *s, bool cut, uint64_t k, enum tear tear) {
    struct device d;
    fu_dfu_progress progress;
    uint32_t max = (uint32_t)s->old.len;
    const uint8_t *active;
    uint64_t start, ops;
    if (s->new_image.len > max) {
        max = (uint32_t)s->new_image.len;
    }
    if (s->pre.len > max) {
        max = (uint32_t)s->pre.len;
    }
    device_new(&d, s, max, s->pre.len ? &s->pre : &s->old);
    if (s->pre.len) {
        drive(&d, s, &s->old, false, &progress);
        CHECK(progress.kind == FU_DFU_PROGRESS_UP_TO_DATE, "%s: the first update did not finish", s->name);
    }
    start = d.flash.ops;
    if (cut) {
        nor_schedule_cut(&d.flash, start + k, tear);
    }
    drive(&d, s, &s->new_image, cut, &progress);
    ops = d.flash.ops - start;
    active = d.flash.mem + d.layout.active.offset;
    if (s->healthy) {
        CHECK(d.last_boot.image.size == s->new_image.len &&
                  memcmp(active, s->new_image.data, s->new_image.len) == 0,
              "%s: cut at %llu (tear %d): new image not installed", s->name, (unsigned long long)k, tear);
        CHECK(progress.kind == FU_DFU_PROGRESS_UP_TO_DATE, "%s: cut at %llu: progress %d", s->name,
              (unsigned long long)k, progress.kind);
    } else {
        CHECK(d.last_boot.image.size == s->old.len && memcmp(active, s->old.data, s->old.len) == 0,
              "%s: cut at %llu (tear %d): not rolled back", s->name, (unsigned long long)k, tear);
        CHECK(progress.kind == FU_DFU_PROGRESS_ROLLED_BACK, "%s: cut at %llu: progress %d", s->name,
              (unsigned long long)k, progress.kind);
    }
    fu_dfu_updater_close(&updater);
    fu_dfu_decoder_close(&decoder);
    nor_free(&d.flash);
    return ops;
}

static uint64_t exhaustive(const struct scenario *s) {
    uint64_t total = run(s, false, 0, TEAR_FULL), k;
    int tear;
    for (k = 0; k < total; k++) {
        for (tear = TEAR_NONE; tear <= TEAR_FULL; tear++) {
            run(s, true, k, (enum tear)tear);
        }
    }
    CHECK(total > 40, "%s: only %llu flash operations", s->name, (unsigned long long)total);
    printf("%-28s %5llu flash operations, %5llu power cuts, every boot valid\n", s->name,
           (unsigned long long)total, (unsigned long long)total * 3);
    return total;
}

static struct scenario scenario(const char *name, size_t pre, uint8_t pre_seed, size_t old, uint8_t old_seed,
                                size_t new_len, uint8_t new_seed, uint32_t chunk, bool healthy) {
    struct scenario s;
    s.name = name;
    s.pre.data = NULL;
    s.pre.len = 0;
    if (pre) {
        s.pre = make_image(pre, pre_seed);
    }
    s.old = make_image(old, old_seed);
    s.new_image = make_image(new_len, new_seed);
    if (!healthy) {
        memcpy(s.new_image.data, "BAD!", 4);
    }
    s.chunk = chunk;
    s.healthy = healthy;
    return s;
}

int main(void) {
    struct scenario all[4];
    size_t i;
    uint64_t cuts = 0;
    all[0] = scenario("update succeeds", 0, 0, 1500, 1, 2300, 2, 100, true);
    all[1] = scenario("update rolled back", 0, 0, 1700, 3, 1100, 4, 61, false);
    all[2] = scenario("second update succeeds", 1200, 5, 2000, 6, 1800, 7, 128, true);
    all[3] = scenario("second update rolled back", 1200, 5, 2000, 6, 1800, 7, 128, false);
    printf("fleet_update %s: power cuts through the C API\n", fu_version());
    for (i = 0; i < sizeof all / sizeof all[0]; i++) {
        cuts += 3 * exhaustive(&all[i]);
        free(all[i].pre.data);
        free(all[i].old.data);
        free(all[i].new_image.data);
    }
    printf("power cut: %llu cuts, all boots valid\n", (unsigned long long)cuts);
    return 0;
}
