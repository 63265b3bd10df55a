//! String enums of the twin and identity records.

use crate::open_enum::open_enum;

open_enum! {
    /// `status` of a device identity or twin.
    pub enum DeviceStatus {
        /// The device may connect.
        Enabled = "enabled",
        /// Connections are refused.
        Disabled = "disabled",
    }
}

open_enum! {
    /// `connectionState` (debug only: may lag by minutes, MQTT and AMQP only).
    pub enum ConnectionState {
        /// Connected over MQTT or AMQP.
        Connected = "Connected",
        /// Not connected.
        Disconnected = "Disconnected",
    }
}

open_enum! {
    /// `authenticationType` of a twin, `authentication.type` of an identity.
    ///
    /// Event Grid documentation capitalises these (`SAS`, `SelfSigned`); they
    /// decode to the same variants and encode in the twin spelling.
    pub enum AuthenticationType {
        /// Shared access signature from symmetric keys.
        Sas = "sas",
        /// Self-signed X.509 certificate, identified by thumbprints.
        SelfSigned = "selfSigned",
        /// X.509 certificate signed by a registered CA.
        CertificateAuthority = "certificateAuthority",
        /// No device credentials (system modules of IoT Edge).
        None = "none",
    }
}
