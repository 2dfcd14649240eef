//! A live bar per stage on the terminal while a pipeline runs (feature `progress`).

use crate::{Error, Handle, Pipeline, StageKind};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

impl<Out: Send + 'static> Pipeline<Out> {
    /// [`run`](Pipeline::run), showing one bar per stage on stderr with its items and
    /// rate, refreshed ten times a second. Prints nothing when stderr is not a terminal.
    pub fn run_with_progress(self) -> Result<Out, Error> {
        let handle = self.spawn();
        if std::io::stderr().is_terminal() {
            show(&handle, ProgressDrawTarget::stderr());
        }
        handle.join()
    }
}

/// Draws the bars of `handle`'s stages until every thread of the run has ended.
pub(crate) fn show<Out>(handle: &Handle<Out>, target: ProgressDrawTarget) {
    let bars = MultiProgress::with_draw_target(target);
    let style =
        ProgressStyle::with_template("{prefix:>12} {spinner} {pos:>12} items {per_sec:>14} {msg}")
            .expect("the template is valid");
    let stats = handle.stats();
    let width = stats.stages.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let stage_bars: Vec<ProgressBar> = stats
        .stages
        .iter()
        .map(|s| {
            let bar = bars.add(ProgressBar::no_length().with_style(style.clone()));
            bar.set_prefix(format!("{:>width$}", s.name));
            bar
        })
        .collect();
    loop {
        let finished = handle.is_finished();
        let stats = handle.stats();
        for (bar, stage) in stage_bars.iter().zip(&stats.stages) {
            let items = match stage.kind {
                StageKind::Consumer => stage.items_in,
                _ => stage.items_out,
            };
            bar.set_position(items.unwrap_or(0));
            bar.set_message(format!("busy {:.0}%", 100.0 * stage.busy_fraction()));
        }
        if finished {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for bar in &stage_bars {
        bar.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{consumer, map, producer, Options, Stream};

    #[test]
    fn draws_a_bar_per_stage_until_the_run_ends() {
        let handle = Stream::produce(Options::new("numbers"), producer(|| 0..10_000u64))
            .map(Options::new("square"), map(|x: u64| x * x))
            .consume(Options::new("total"), consumer(|xs| xs.sum::<u64>()))
            .spawn();
        show(&handle, ProgressDrawTarget::hidden());
        assert!(handle.is_finished());
        assert_eq!(
            handle.join().unwrap(),
            (0..10_000u64).map(|x| x * x).sum::<u64>()
        );
    }
}
