//! CBOR, which hawkBit speaks as an alternative to JSON in both directions:
//! the documents are the same, so the simulator converts between the two.

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

/// `value` as CBOR (definite lengths, shortest integers).
pub fn encode(value: &Value) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    write(&mut e, value);
    e.into_writer()
}

fn write(e: &mut Encoder<Vec<u8>>, value: &Value) {
    // writing into a Vec cannot fail
    let _ = match value {
        Value::Null => e.null(),
        Value::Bool(b) => e.bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => e.u64(u),
            (None, Some(i), _) => e.i64(i),
            (None, None, Some(f)) => e.f64(f),
            (None, None, None) => e.null(),
        },
        Value::String(s) => e.str(s),
        Value::Array(items) => {
            let _ = e.array(items.len() as u64);
            for item in items {
                write(e, item);
            }
            Ok(&mut *e)
        }
        Value::Object(map) => {
            let _ = e.map(map.len() as u64);
            for (k, v) in map {
                let _ = e.str(k);
                write(e, v);
            }
            Ok(&mut *e)
        }
    };
}

/// A CBOR document as JSON; byte strings, non-text keys and trailing bytes
/// are errors.
///
/// # Errors
/// A message saying what is not representable or malformed.
pub fn decode(bytes: &[u8]) -> Result<Value, String> {
    let mut d = Decoder::new(bytes);
    let value = read(&mut d, 0)?;
    if d.position() != bytes.len() {
        return Err("trailing bytes after the CBOR document".to_owned());
    }
    Ok(value)
}

fn at_break(d: &mut Decoder<'_>) -> Result<bool, String> {
    if d.datatype().map_err(|e| e.to_string())? == Type::Break {
        // a break is the single byte 0xff
        d.set_position(d.position() + 1);
        return Ok(true);
    }
    Ok(false)
}

fn read(d: &mut Decoder<'_>, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("CBOR nested too deeply".to_owned());
    }
    let err = |e: minicbor::decode::Error| e.to_string();
    Ok(match d.datatype().map_err(err)? {
        Type::Bool => Value::Bool(d.bool().map_err(err)?),
        Type::Null => {
            d.null().map_err(err)?;
            Value::Null
        }
        Type::Undefined => {
            d.undefined().map_err(err)?;
            Value::Null
        }
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Value::from(d.u64().map_err(err)?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => Value::from(d.i64().map_err(err)?),
        Type::Int => {
            let n = i128::from(d.int().map_err(err)?);
            match (i64::try_from(n), u64::try_from(n)) {
                (Ok(i), _) => Value::from(i),
                (_, Ok(u)) => Value::from(u),
                _ => return Err("CBOR integer out of range".to_owned()),
            }
        }
        Type::F32 => float(f64::from(d.f32().map_err(err)?))?,
        Type::F64 => float(d.f64().map_err(err)?)?,
        Type::String => Value::String(d.str().map_err(err)?.to_owned()),
        Type::StringIndef => {
            let mut s = String::new();
            for part in d.str_iter().map_err(err)? {
                s.push_str(part.map_err(err)?);
            }
            Value::String(s)
        }
        Type::Array | Type::ArrayIndef => {
            let len = d.array().map_err(err)?;
            let mut items = Vec::new();
            match len {
                Some(n) => {
                    for _ in 0..n {
                        items.push(read(d, depth + 1)?);
                    }
                }
                None => {
                    while !at_break(d)? {
                        items.push(read(d, depth + 1)?);
                    }
                }
            }
            Value::Array(items)
        }
        Type::Map | Type::MapIndef => {
            let len = d.map().map_err(err)?;
            let mut map = Map::new();
            let mut entry = |d: &mut Decoder<'_>| -> Result<(), String> {
                let key = match read(d, depth + 1)? {
                    Value::String(k) => k,
                    other => return Err(format!("CBOR map key {other} is not text")),
                };
                let value = read(d, depth + 1)?;
                map.insert(key, value);
                Ok(())
            };
            match len {
                Some(n) => {
                    for _ in 0..n {
                        entry(d)?;
                    }
                }
                None => {
                    while !at_break(d)? {
                        entry(d)?;
                    }
                }
            }
            Value::Object(map)
        }
        Type::Tag => {
            d.tag().map_err(err)?;
            read(d, depth + 1)?
        }
        other => return Err(format!("CBOR {other} has no JSON equivalent")),
    })
}

fn float(f: f64) -> Result<Value, String> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "CBOR float is not finite".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_survive_the_round_trip() {
        let doc = serde_json::json!({
            "id": "8", "n": -3, "big": 18_000_000_000_000_u64, "f": 0.5, "ok": true, "none": null,
            "list": [1, "two", {"three": [3]}],
        });
        assert_eq!(decode(&encode(&doc)).unwrap(), doc);
    }

    #[test]
    fn indefinite_lengths_and_bad_input() {
        // {_ "a": [_ 1, 2] }
        let indef = [0xbf, 0x61, b'a', 0x9f, 0x01, 0x02, 0xff, 0xff];
        assert_eq!(decode(&indef).unwrap(), serde_json::json!({"a": [1, 2]}));
        assert!(
            decode(&[0x41, 0x00]).is_err(),
            "byte strings have no JSON form"
        );
        assert!(decode(&[0xa1, 0x01, 0x02]).is_err(), "non-text key");
        assert!(decode(&[0x01, 0x02]).is_err(), "trailing bytes");
        assert!(decode(&[0x9f; 200]).is_err(), "too deep");
        assert!(decode(&[]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn string_maps_round_trip(map in proptest::collection::btree_map("\\PC{0,8}", -1000_i64..1000, 0..8)) {
            let doc = Value::Object(map.into_iter().map(|(k, v)| (k, Value::from(v))).collect());
            proptest::prop_assert_eq!(decode(&encode(&doc)).unwrap(), doc);
        }
    }
}
