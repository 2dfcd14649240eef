//! The error a pipeline run ends with: which stage, which worker, and what went wrong.

use std::any::Any;
use std::fmt;

/// The error type user stages may return: anything that converts into it works
/// (`?` on any `std::error::Error + Send + Sync + 'static`, or a `String`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a pipeline run failed.
///
/// `Display` names the stage, the worker and the message, e.g.
/// ``stage `parse` worker 2 panicked: bad header``. When a stage returned an
/// `Err`, [`source`](std::error::Error::source) gives that error back, so it can
/// be downcast to the user's own type.
pub struct Error {
    kind: Kind,
}

enum Kind {
    Panicked {
        stage: String,
        worker: usize,
        message: String,
    },
    Failed {
        stage: String,
        worker: usize,
        source: BoxError,
    },
    Invalid {
        stage: String,
        reason: String,
    },
    Spawn {
        stage: String,
        source: std::io::Error,
    },
    Broker {
        message: String,
    },
    Cancelled,
}

/// The message of a panic: its `&str` or `String` payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

impl Error {
    pub(crate) fn panicked(stage: &str, worker: usize, payload: Box<dyn Any + Send>) -> Self {
        let message = panic_message(&*payload);
        crate::worker::drop_payload(payload);
        Self {
            kind: Kind::Panicked {
                stage: stage.to_owned(),
                worker,
                message,
            },
        }
    }

    pub(crate) fn failed(stage: &str, worker: usize, source: BoxError) -> Self {
        Self {
            kind: Kind::Failed {
                stage: stage.to_owned(),
                worker,
                source,
            },
        }
    }

    pub(crate) fn invalid(stage: &str, reason: String) -> Self {
        Self {
            kind: Kind::Invalid {
                stage: stage.to_owned(),
                reason,
            },
        }
    }

    pub(crate) fn spawn(stage: &str, source: std::io::Error) -> Self {
        Self {
            kind: Kind::Spawn {
                stage: stage.to_owned(),
                source,
            },
        }
    }

    /// The broker of remote stages could not be reached, or refused a command.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn broker(message: String) -> Self {
        Self {
            kind: Kind::Broker { message },
        }
    }

    pub(crate) fn cancelled() -> Self {
        Self {
            kind: Kind::Cancelled,
        }
    }

    /// The name of the stage that failed; `None` when the run was cancelled.
    pub fn stage(&self) -> Option<&str> {
        match &self.kind {
            Kind::Panicked { stage, .. }
            | Kind::Failed { stage, .. }
            | Kind::Invalid { stage, .. }
            | Kind::Spawn { stage, .. } => Some(stage),
            Kind::Broker { .. } | Kind::Cancelled => None,
        }
    }

    /// The index (from 0) of the worker that failed, within its stage.
    pub fn worker(&self) -> Option<usize> {
        match &self.kind {
            Kind::Panicked { worker, .. } | Kind::Failed { worker, .. } => Some(*worker),
            _ => None,
        }
    }

    /// The panic message, when a worker panicked.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Panicked { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether a worker panicked (as opposed to returning an `Err`).
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, Kind::Panicked { .. })
    }

    /// Whether the run ended because it was cancelled through its handle.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, Kind::Cancelled)
    }

    /// The user's error when a stage returned `Err`, to inspect or downcast by value.
    pub fn into_source(self) -> Option<BoxError> {
        match self.kind {
            Kind::Failed { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Panicked {
                stage,
                worker,
                message,
            } => write!(f, "stage `{stage}` worker {worker} panicked: {message}"),
            Kind::Failed {
                stage,
                worker,
                source,
            } => write!(f, "stage `{stage}` worker {worker} failed: {source}"),
            Kind::Invalid { stage, reason } => write!(f, "stage `{stage}`: {reason}"),
            Kind::Spawn { stage, source } => {
                write!(f, "could not start a thread for stage `{stage}`: {source}")
            }
            Kind::Broker { message } => write!(f, "broker: {message}"),
            Kind::Cancelled => f.write_str("pipeline cancelled"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Failed { source, .. } => Some(&**source),
            Kind::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}
