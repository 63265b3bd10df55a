//! Identity mapping: IoT Hub device/module ids, hawkBit controller ids and
//! AWS thing names.

use crate::hawkbit::controller_id::{ControllerId, ControllerIdError};
use crate::iothub::ids::{IdError, check_device_id};
use crate::validate::Rule;
use crate::validate::shadow::check_thing_name;

/// Why an id could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdMappingError {
    /// Not a valid IoT Hub device or module id.
    #[error("not a valid iot hub id")]
    IotHub(#[source] IdError),
    /// Not a valid controller id.
    #[error("not a valid hawkbit controller id")]
    ControllerId(#[source] ControllerIdError),
    /// Not a valid AWS thing name.
    #[error("not a valid aws thing name: {0}")]
    ThingName(Rule),
}

/// The controller id of a device (`deviceId`) or module
/// (`deviceId/moduleId`; `/` never occurs in IoT Hub ids, so it splits
/// back unambiguously). Every valid IoT Hub id is a valid controller id.
pub fn controller_id_for(
    device_id: &str,
    module_id: Option<&str>,
) -> Result<ControllerId, IdMappingError> {
    check_device_id(device_id).map_err(IdMappingError::IotHub)?;
    let id = match module_id {
        Some(m) => {
            check_device_id(m).map_err(IdMappingError::IotHub)?;
            format!("{device_id}/{m}")
        }
        None => device_id.to_owned(),
    };
    ControllerId::new(id).map_err(IdMappingError::ControllerId)
}

/// The device and module id of a controller id written by
/// [`controller_id_for`]; fails for controller ids IoT Hub cannot hold.
pub fn device_ids_for(
    controller_id: &ControllerId,
) -> Result<(String, Option<String>), IdMappingError> {
    let (device, module) = match controller_id.as_str().split_once('/') {
        Some((d, m)) => (d, Some(m)),
        None => (controller_id.as_str(), None),
    };
    check_device_id(device).map_err(IdMappingError::IotHub)?;
    if let Some(m) = module {
        check_device_id(m).map_err(IdMappingError::IotHub)?;
    }
    Ok((device.to_owned(), module.map(str::to_owned)))
}

/// The AWS thing name of a device id: the same text when it fits AWS's
/// narrower `[a-zA-Z0-9:_-]{1,128}`, else an error naming the rule.
pub fn thing_name_for(device_id: &str) -> Result<String, IdMappingError> {
    check_thing_name(device_id).map_err(IdMappingError::ThingName)?;
    Ok(device_id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(
            controller_id_for("dev1", Some("$edgeAgent"))
                .unwrap()
                .as_str(),
            "dev1/$edgeAgent"
        );
        assert!(thing_name_for("dev.1").is_err());
        assert_eq!(thing_name_for("dev-1").unwrap(), "dev-1");
        let foreign = ControllerId::new("has/two/slashes").unwrap();
        assert!(device_ids_for(&foreign).is_err());
    }

    proptest! {
        #[test]
        fn device_ids_round_trip(d in "[a-zA-Z0-9._%*?!(),:=@$'-]{1,128}", m in proptest::option::of("[a-zA-Z0-9$-]{1,20}")) {
            let c = controller_id_for(&d, m.as_deref()).unwrap();
            prop_assert_eq!(device_ids_for(&c).unwrap(), (d, m));
        }
    }
}
