/* The baseline: the same toolchain, start-up code and libraries, no fleet_update. */
int main(void) {
    for (;;) {
    }
}
