#!/usr/bin/env bash
# Goal 2 of issue 12: libfleet_update's dfu module on a Cortex-M4F
# (thumbv7em-none-eabihf), linked from C with arm-none-eabi-gcc, measured
# against an empty C program built the same way.
#
#   ffi/firmware/size.sh            # prints the table; exits 1 if a goal is missed
#
# Builds ffi/firmware (outside the workspace; opt-level "z", LTO, one codegen
# unit, panic = abort, features dfu + panic-handler), compiles c/empty.c,
# c/updater.c and c/bootloader.c with -Os and links each with the static
# library (--gc-sections, newlib-nano start-up and nosys stubs, the same for
# all three). Flash = text + data, RAM = data + bss (Berkeley `size`); the
# figures are differences to empty.c. The caller's storage (updater, decoder,
# receive buffer) is on main's stack in these programs, so the RAM
# difference is the library's own statics.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
root=$(cd ../.. && pwd)
target=thumbv7em-none-eabihf
out="$root/target/ffi-firmware"
mkdir -p "$out"

rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target"
for tool in arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-nm; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (Debian: gcc-arm-none-eabi)" >&2; exit 2; }
done

CARGO_TARGET_DIR="$root/target/ffi-firmware/cargo" cargo build --release --quiet --locked --target "$target"
lib="$root/target/ffi-firmware/cargo/$target/release/libfleet_update_firmware.a"

cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -std=c99
    -Wall -Wextra -Wpedantic -Werror -ffunction-sections -fdata-sections
    -I "$root/ffi/include")
# newlib's crtn.o has no .note.GNU-stack; the linker's warning about it is not ours.
ldflags=(-Wl,--gc-sections -Wl,--no-warn-execstack --specs=nano.specs --specs=nosys.specs)

link() { # name [library]
    arm-none-eabi-gcc "${cflags[@]}" "c/$1.c" "${@:2}" "${ldflags[@]}" -o "$out/$1.elf"
}
sizes() { # elf -> "flash ram"
    arm-none-eabi-size -B "$1" | awk 'NR == 2 { print $1 + $2, $2 + $3 }'
}

link empty
link updater "$lib"
link bootloader "$lib"
read -r base_flash base_ram < <(sizes "$out/empty.elf")
read -r up_flash up_ram < <(sizes "$out/updater.elf")
read -r boot_flash boot_ram < <(sizes "$out/bootloader.elf")

hex_size() { local h; h=$(awk -v s="$2" '$4 == s { print $2; exit }' <<<"$1"); echo $((16#${h:-0})); }
lib_symbols=$(arm-none-eabi-nm -S "$lib" 2>/dev/null)
used() { hex_size "$lib_symbols" "$1"; }
updater_used=$(used fu_firmware_updater_storage_used)
decoder_used=$(used fu_firmware_decoder_storage_used)
sizeof=$(grep -E '^#define FU_DFU_(UPDATER|DECODER)_SIZE' "$root/ffi/include/fleet_update.h" | awk '{ printf "%s=%s ", $2, $3 }')

printf '%-40s %8s %6s %10s %8s %8s\n' "C program (thumbv7em-none-eabihf)" "flash B" "RAM B" "flash-base" "RAM-base" "goal"
printf '%-40s %8d %6d %10s %8s %8s\n' "empty main (newlib-nano, nosys)" "$base_flash" "$base_ram" - - -
printf '%-40s %8d %6d %10d %8d %8s\n' "updater + decoder + status encoder" "$up_flash" "$up_ram" \
    "$((up_flash - base_flash))" "$((up_ram - base_ram))" "19000"
printf '%-40s %8d %6d %10d %8d %8s\n' "bootloader (fu_dfu_boot)" "$boot_flash" "$boot_ram" \
    "$((boot_flash - base_flash))" "$((boot_ram - base_ram))" "10750"
echo "storage structs: ${sizeof}(sizeof, every target); used on this target: updater ${updater_used} B, decoder ${decoder_used} B"
# The library's statics in the linked image: its symbols in .data/.bss.
elf_symbols=$(arm-none-eabi-nm -S -C "$out/updater.elf")
echo "library statics in the updater image: $(awk '$3 ~ /^[bBdD]$/ && $4 ~ /PANIC_HOOK/ { print $4 }' <<<"$elf_symbols") $(hex_size "$(awk '$4 ~ /PANIC_HOOK/' <<<"$elf_symbols")" "$(awk '$4 ~ /PANIC_HOOK/ { print $4; exit }' <<<"$elf_symbols")") B"

status=0
check() { # label value limit
    if (($2 > $3)); then
        echo "goal missed: $1 = $2 B > $3 B" >&2
        status=1
    fi
}
check "updater flash" "$((up_flash - base_flash))" 19000
check "bootloader flash" "$((boot_flash - base_flash))" 10750
check "updater static RAM" "$((up_ram - base_ram))" 8
check "bootloader static RAM" "$((boot_ram - base_ram))" 8
exit $status
