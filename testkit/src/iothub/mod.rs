//! An in-process Azure IoT Hub registry simulator.
