//! How a stage runs: its name, its workers, its input queue, its order.

use crate::Error;

/// Capacity, in items, of a stage's input queue unless its options say otherwise.
pub const DEFAULT_BUFFER: usize = 1024;

/// The largest input queue, in items: its slots are allocated when the run starts.
pub const MAX_BUFFER: usize = 1 << 28;

/// How a stage runs: its name, how many workers, how big its input queue is, and
/// whether several workers keep the input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub(crate) name: String,
    pub(crate) workers: usize,
    pub(crate) buffer: usize,
    pub(crate) ordered: bool,
    /// Set by `Stream::isolate`: the workers are child processes.
    pub(crate) isolated: bool,
    /// Set by `Stream::remote`: the workers are processes fed through a broker.
    pub(crate) remote: bool,
}

impl Options {
    /// One worker, a queue of [`DEFAULT_BUFFER`] items, unordered.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            workers: 1,
            buffer: DEFAULT_BUFFER,
            ordered: false,
            isolated: false,
            remote: false,
        }
    }

    /// Runs `workers` threads for this stage; 0 makes the run fail with an [`Error`].
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// Holds at most `items` items in this stage's input queue (0: items are handed
    /// over one at a time, as with 1);
    /// more than [`MAX_BUFFER`] makes the run fail with an [`Error`].
    pub fn buffer(mut self, items: usize) -> Self {
        self.buffer = items;
        self
    }

    /// With several workers, an item-form stage emits its outputs in input order.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// Renames the stage, as errors, stats and thread names give it.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The stage's name, as errors and thread names give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        let invalid = |reason: String| Err(Error::invalid(&self.name.replace('\0', "\\0"), reason));
        if self.workers == 0 {
            return invalid("`workers` must be at least 1, got 0".to_owned());
        }
        if self.buffer > MAX_BUFFER {
            return invalid(format!(
                "`buffer` of {} items is more than a queue can hold ({MAX_BUFFER})",
                self.buffer
            ));
        }
        if self.name.contains('\0') {
            return invalid(
                "a stage name cannot contain a NUL byte (it names the stage's threads)".to_owned(),
            );
        }
        Ok(())
    }
}
