//! Azure IoT Hub connector (REST, SAS tokens).
