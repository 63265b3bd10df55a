//! The syntax tree of a condition.

use std::fmt;

use crate::condition::error::ParseError;

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Root {
    /// `tags.…`
    Tags,
    /// `properties.desired.…`
    Desired,
    /// `properties.reported.…`
    Reported,
    /// `deviceId`
    DeviceId,
    /// `moduleId`
    ModuleId,
    /// `status`
    Status,
    /// `statusReason`
    StatusReason,
    /// `connectionState`
    ConnectionState,
    /// `authenticationType`
    AuthenticationType,
    /// `capabilities.iotEdge`
    IotEdge,
    /// `version`
    Version,
    /// `cloudToDeviceMessageCount`
    CloudToDeviceMessageCount,
    /// `modelId`
    ModelId,
    /// `deviceScope`
    DeviceScope,
    /// `lastActivityTime`
    LastActivityTime,
    /// `etag`
    Etag,
}

impl Root {
    /// The query spelling of the root.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tags => "tags",
            Self::Desired => "properties.desired",
            Self::Reported => "properties.reported",
            Self::DeviceId => "deviceId",
            Self::ModuleId => "moduleId",
            Self::Status => "status",
            Self::StatusReason => "statusReason",
            Self::ConnectionState => "connectionState",
            Self::AuthenticationType => "authenticationType",
            Self::IotEdge => "capabilities.iotEdge",
            Self::Version => "version",
            Self::CloudToDeviceMessageCount => "cloudToDeviceMessageCount",
            Self::ModelId => "modelId",
            Self::DeviceScope => "deviceScope",
            Self::LastActivityTime => "lastActivityTime",
            Self::Etag => "etag",
        }
    }

    /// True for roots that hold JSON trees (tags, desired, reported).
    pub fn is_tree(self) -> bool {
        matches!(self, Self::Tags | Self::Desired | Self::Reported)
    }
}

/// A property path such as `tags.location.region`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The root field.
    pub root: Root,
    /// Keys below the root (trees only).
    pub segments: Vec<String>,
    /// Byte span in the condition text.
    pub span: (usize, usize),
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root.as_str())?;
        for s in &self.segments {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// `'text'`
    String(String),
    /// `12.5`
    Number(f64),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
}

/// Either side of a comparison.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Operand {
    /// A property.
    Path(Path),
    /// A constant.
    Literal(Literal),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator that holds when this one fails (for defined operands).
    pub fn negated(self) -> Self {
        match self {
            Self::Eq => Self::Ne,
            Self::Ne => Self::Eq,
            Self::Lt => Self::Ge,
            Self::Le => Self::Gt,
            Self::Gt => Self::Le,
            Self::Ge => Self::Lt,
        }
    }

    /// The operator with its operands swapped.
    pub fn swapped(self) -> Self {
        match self {
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            other => other,
        }
    }
}

/// Type-test and string functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Function {
    /// `IS_DEFINED(path)`
    IsDefined,
    /// `IS_BOOL(path)`
    IsBool,
    /// `IS_NUMBER(path)`
    IsNumber,
    /// `IS_STRING(path)`
    IsString,
    /// `IS_OBJECT(path)`
    IsObject,
    /// `STARTS_WITH(path, 'x')`
    StartsWith,
    /// `ENDS_WITH(path, 'x')`
    EndsWith,
}

/// A condition expression. `AND`/`OR` are n-ary so that long chains stay
/// flat (no deep recursion in evaluation or drop).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// `*`: every device.
    All,
    /// All must hold.
    And(Vec<Self>),
    /// One must hold.
    Or(Vec<Self>),
    /// Negation.
    Not(Box<Self>),
    /// `lhs op rhs`.
    Compare {
        /// Left side.
        lhs: Operand,
        /// Operator.
        op: CmpOp,
        /// Right side.
        rhs: Operand,
        /// Byte span.
        span: (usize, usize),
    },
    /// `path IN [..]` / `path NIN [..]`.
    In {
        /// The property.
        path: Path,
        /// Constants.
        list: Vec<Literal>,
        /// `NIN`.
        negated: bool,
        /// Byte span.
        span: (usize, usize),
    },
    /// A function call on a path, with an optional string argument.
    Call {
        /// Which function.
        function: Function,
        /// The property.
        path: Path,
        /// Second argument of STARTS_WITH / ENDS_WITH.
        arg: Option<String>,
        /// Byte span.
        span: (usize, usize),
    },
}

/// A parsed condition together with its text (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The original text.
    pub text: String,
    /// Whether a `FROM devices.modules WHERE` prefix selected module twins.
    pub modules: bool,
    /// The expression.
    pub expr: Expr,
}

impl Condition {
    /// Parses a `targetCondition` (optionally prefixed with
    /// `FROM devices[.modules] WHERE`).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        crate::condition::parser::parse(text)
    }

    /// The source text of a byte span.
    pub fn snippet(&self, span: (usize, usize)) -> &str {
        self.text.get(span.0..span.1).unwrap_or("")
    }
}
