//! The examples' command lines: `--name VALUE` or `--name=VALUE` options, flags,
//! positional arguments and `--help`. A usage error prints what is wrong and how to
//! get help, and exits with status 2.

use std::ffi::OsString;
use std::fmt::Display;
use std::process;

/// One command-line word, as [`Args::next`] sees it.
#[derive(Debug)]
pub enum Arg {
    /// `--name` or `--name=VALUE`, given without its dashes; take the value, if the
    /// option has one, with [`Args::value`].
    Option(String),
    /// Anything else, and everything after `--`.
    Positional(OsString),
}

/// The arguments of this process, read one at a time.
pub struct Args {
    program: &'static str,
    usage: &'static str,
    rest: std::vec::IntoIter<OsString>,
    /// The name and `VALUE` of an `--name=VALUE` just returned.
    inline: Option<(String, OsString)>,
    only_positional: bool,
}

impl Args {
    /// The process's arguments. `usage` is the whole `--help` text; its first line is
    /// repeated after a usage error.
    pub fn from_env(program: &'static str, usage: &'static str) -> Self {
        Self {
            program,
            usage,
            rest: std::env::args_os().skip(1).collect::<Vec<_>>().into_iter(),
            inline: None,
            only_positional: false,
        }
    }

    /// The next argument. `--help` and `-h` print the usage and exit with status 0.
    pub fn next(&mut self) -> Option<Arg> {
        if let Some((name, _)) = self.inline.take() {
            self.fail(format_args!("`--{name}` takes no value"));
        }
        let word = self.rest.next()?;
        if self.only_positional {
            return Some(Arg::Positional(word));
        }
        let Some(text) = word.to_str() else {
            return Some(Arg::Positional(word));
        };
        if text == "--" {
            self.only_positional = true;
            return self.next();
        }
        if text == "--help" || text == "-h" {
            print!("{}", self.usage);
            process::exit(0);
        }
        if let Some(option) = text.strip_prefix("--") {
            return Some(match option.split_once('=') {
                Some((name, value)) => {
                    self.inline = Some((name.to_owned(), value.into()));
                    Arg::Option(name.to_owned())
                }
                None => Arg::Option(option.to_owned()),
            });
        }
        if text.starts_with('-') && text.len() > 1 {
            self.fail(format_args!("unknown option `{text}`"));
        }
        Some(Arg::Positional(word))
    }

    /// The value of option `--name`: after `=`, or the next argument.
    pub fn value(&mut self, name: &str) -> OsString {
        match self
            .inline
            .take()
            .map(|(_, v)| v)
            .or_else(|| self.rest.next())
        {
            Some(value) => value,
            None => self.fail(format_args!("`--{name}` needs a value")),
        }
    }

    /// The value of option `--name` as a whole number of at least `min`.
    pub fn number(&mut self, name: &str, min: usize) -> usize {
        let value = self.value(name);
        match value.to_str().and_then(|v| v.parse::<usize>().ok()) {
            Some(n) if n >= min => n,
            _ => self.fail(format_args!(
                "`--{name}` needs a whole number of at least {min}, got `{}`",
                value.to_string_lossy()
            )),
        }
    }

    /// Fails on an option this program does not have.
    pub fn unknown(&self, name: &str) -> ! {
        self.fail(format_args!("unknown option `--{name}`"))
    }

    /// The DIR argument: fails unless it was given and is a directory.
    #[allow(dead_code)] // only the examples that take a DIR call it
    pub fn directory(&self, dir: Option<std::path::PathBuf>) -> std::path::PathBuf {
        let Some(dir) = dir else {
            self.fail("missing DIR");
        };
        match dir.metadata() {
            Ok(m) if m.is_dir() => dir,
            Ok(_) => self.fail(format_args!("{}: not a directory", dir.display())),
            Err(e) => self.fail(format_args!("{}: {e}", dir.display())),
        }
    }

    /// Prints `message` and the usage line on stderr and exits with status 2.
    pub fn fail(&self, message: impl Display) -> ! {
        let usage = self.usage.lines().next().unwrap_or_default();
        eprintln!(
            "{}: {message}\n{usage}\nTry `{} --help` for more.",
            self.program, self.program
        );
        process::exit(2)
    }
}

/// `n` and `thing`, plural unless `n` is 1: `1 worker`, `2 workers`.
pub fn count(n: impl Into<u64>, thing: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
