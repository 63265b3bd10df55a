#!/usr/bin/env bash
# Flash and RAM footprint of dfu-protocol's device-side logic on a Cortex-M4F
# (thumbv7em-none-eabihf), as the difference to an empty cortex-m-rt program.
#
#   benches/scripts/dfu-footprint.sh
#
# Builds benches/footprint (outside the workspace; opt-level "z", LTO, one
# codegen unit, panic = abort) without and with the `ed25519` feature, then
# reads the section sizes with `size -A` (GNU binutils reads ARM ELF files).
# Flash = .text + .rodata (+ .data's initialiser), RAM = .data + .bss +
# .uninit; the vector table (1 KiB here) is in the baseline and cancels out. The stack
# is not in these figures: see the note printed at the end.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../footprint"
rustup target list --installed 2>/dev/null | grep -qx thumbv7em-none-eabihf ||
    rustup target add thumbv7em-none-eabihf
command -v size >/dev/null || { echo "error: 'size' (GNU binutils) not found" >&2; exit 1; }

out=../../target/footprint/thumbv7em-none-eabihf/release

# section sizes of one ELF file: "flash ram"
sections() {
    size -A "$1" | awk '
        $1 == ".vector_table" || $1 == ".text" || $1 == ".rodata" { flash += $2 }
        $1 == ".data" { flash += $2; ram += $2 }
        $1 == ".bss" || $1 == ".uninit" { ram += $2 }
        END { print flash + 0, ram + 0 }'
}

row() { # label binary base_flash base_ram
    read -r flash ram < <(sections "$out/$2")
    printf '%-36s %8d %8d %10d %8d\n' "$1" "$flash" "$ram" "$((flash - $3))" "$((ram - $4))"
}

printf '%-36s %8s %8s %10s %8s\n' "binary (thumbv7em-none-eabihf)" "flash B" "RAM B" "flash-base" "RAM-base"
cargo build --release --quiet --bins
read -r base_flash base_ram < <(sections "$out/baseline")
row "baseline (cortex-m-rt, panic-halt)" baseline "$base_flash" "$base_ram"
row "updater + FrameDecoder + status" updater "$base_flash" "$base_ram"
row "bootloader" bootloader "$base_flash" "$base_ram"
cargo build --release --quiet --bins --features ed25519
row "updater, feature ed25519" updater "$base_flash" "$base_ram"
row "bootloader, feature ed25519" bootloader "$base_flash" "$base_ram"
# Leave the default build in place for anyone inspecting the ELF files.
cargo build --release --quiet --bins
echo "RAM: nothing static; the updater's state, the receive buffer (caller-sized, 4 KiB + 32 here)"
echo "and the flash driver live on the caller's stack."
