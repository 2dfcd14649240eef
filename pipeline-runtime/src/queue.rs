//! The queue between two stages: one bounded channel, seen as an [`Input`] iterator by
//! the stage that reads it and as an [`Output`] by the stages that feed it.

use crate::control::Control;
use crossbeam_channel::{select, Receiver, Sender, TryRecvError, TrySendError};
use std::fmt;
use std::sync::Arc;

/// Creates the bounded queue in front of a stage.
pub(crate) fn queue<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    crossbeam_channel::bounded(capacity)
}

/// The stream of items a worker reads: the stage's share of its input queue.
///
/// It ends when every upstream worker has finished (the queue is closed, no sentinel
/// value is involved) or when the run is stopped.
pub struct Input<T> {
    rx: Receiver<T>,
    control: Arc<Control>,
}

impl<T> Input<T> {
    pub(crate) fn new(rx: Receiver<T>, control: Arc<Control>) -> Self {
        Self { rx, control }
    }

    /// Another reader of the same queue: each item goes to one of them.
    pub(crate) fn share(&self) -> Self {
        Self::new(self.rx.clone(), Arc::clone(&self.control))
    }
}

impl<T> Iterator for Input<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.control.is_stopped() {
            return None;
        }
        match self.rx.try_recv() {
            Ok(item) => Some(item),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => select! {
                recv(self.rx) -> item => item.ok(),
                recv(self.control.signal()) -> _ => None,
            },
        }
    }
}

impl<T> fmt::Debug for Input<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("queued", &self.rx.len())
            .finish()
    }
}

/// Returned by [`Output::push`] when nobody will read the item: every downstream
/// worker has finished, or the run was stopped. The worker should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pipeline downstream has stopped")
    }
}

impl std::error::Error for Stopped {}

/// Where a worker puts the items it produces: the input queue of the next stage, or,
/// for a broadcast, the input queues of every branch (each gets a clone).
pub struct Output<T> {
    targets: Targets<T>,
    control: Arc<Control>,
}

enum Targets<T> {
    One(Sender<T>),
    Many {
        senders: Vec<Sender<T>>,
        clone: fn(&T) -> T,
    },
}

impl<T> Output<T> {
    pub(crate) fn new(tx: Sender<T>, control: Arc<Control>) -> Self {
        Self {
            targets: Targets::One(tx),
            control,
        }
    }

    /// One output that sends a clone of every item to each of `outputs`.
    pub(crate) fn broadcast(outputs: Vec<Output<T>>, control: Arc<Control>) -> Self
    where
        T: Clone,
    {
        let mut senders = Vec::new();
        for output in outputs {
            match output.targets {
                Targets::One(tx) => senders.push(tx),
                Targets::Many { senders: more, .. } => senders.extend(more),
            }
        }
        Self {
            targets: Targets::Many {
                senders,
                clone: T::clone,
            },
            control,
        }
    }

    pub(crate) fn control(&self) -> &Control {
        &self.control
    }

    /// Sends `item` downstream, waiting while the queue is full.
    ///
    /// Returns [`Stopped`] when no one will ever read it; the worker should then end.
    #[inline]
    pub fn push(&mut self, item: T) -> Result<(), Stopped> {
        if self.control.is_stopped() {
            return Err(Stopped);
        }
        match &mut self.targets {
            Targets::One(tx) => send(tx, item, &self.control),
            Targets::Many { senders, clone } => {
                // A branch that has finished no longer gets items; the others go on.
                let mut item = Some(item);
                let mut i = 0;
                while i < senders.len() {
                    let value = match item.take() {
                        Some(last) if i + 1 == senders.len() => last,
                        Some(kept) => {
                            let copy = clone(&kept);
                            item = Some(kept);
                            copy
                        }
                        None => break,
                    };
                    if send(&senders[i], value, &self.control).is_ok() {
                        i += 1;
                    } else if self.control.is_stopped() {
                        return Err(Stopped);
                    } else {
                        senders.remove(i);
                    }
                }
                if senders.is_empty() {
                    Err(Stopped)
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[inline]
fn send<T>(tx: &Sender<T>, item: T, control: &Control) -> Result<(), Stopped> {
    match tx.try_send(item) {
        Ok(()) => Ok(()),
        Err(TrySendError::Disconnected(_)) => Err(Stopped),
        Err(TrySendError::Full(item)) => select! {
            send(tx, item) -> sent => sent.map_err(|_| Stopped),
            recv(control.signal()) -> _ => Err(Stopped),
        },
    }
}

impl<T> Clone for Output<T> {
    fn clone(&self) -> Self {
        let targets = match &self.targets {
            Targets::One(tx) => Targets::One(tx.clone()),
            Targets::Many { senders, clone } => Targets::Many {
                senders: senders.clone(),
                clone: *clone,
            },
        };
        Self {
            targets,
            control: Arc::clone(&self.control),
        }
    }
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queues = match &self.targets {
            Targets::One(_) => 1,
            Targets::Many { senders, .. } => senders.len(),
        };
        f.debug_struct("Output").field("queues", &queues).finish()
    }
}
