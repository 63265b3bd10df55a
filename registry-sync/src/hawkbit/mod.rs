//! hawkBit Management API connector.
