//! Progress on stderr: a bar on a terminal (files done, findings so far, rate, time left), plain lines
//! otherwise (every file of a small batch, about a hundred lines for a large one).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::Lang;

pub struct Progress {
    total: usize,
    lang: Lang,
    done: AtomicUsize,
    errors: AtomicUsize,
    warnings: AtomicUsize,
    start: Instant,
    shown: Shown,
}

enum Shown {
    Bar(ProgressBar),
    /// A line every `every` files.
    Lines { every: usize, out: Mutex<()> },
    Quiet,
}

impl Progress {
    /// A bar when stderr is a terminal, else lines; nothing with `quiet`.
    pub fn new(total: usize, lang: Lang, quiet: bool) -> Progress {
        let shown = if quiet || total == 0 {
            Shown::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr_with_hz(8));
            let template = match lang {
                Lang::Zh => "{bar:30} {pos}/{len} 个文件 · {msg} · 预计剩余 {eta}",
                Lang::En => "{bar:30} {pos}/{len} files · {msg} · ETA {eta}",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
            }
            bar.enable_steady_tick(Duration::from_millis(250));
            Shown::Bar(bar)
        } else {
            Shown::Lines { every: (total / 100).max(1), out: Mutex::new(()) }
        };
        Progress { total, lang, done: AtomicUsize::new(0), errors: AtomicUsize::new(0), warnings: AtomicUsize::new(0), start: Instant::now(), shown }
    }

    fn findings_text(&self) -> String {
        let (errors, warnings) = (self.errors.load(Ordering::Relaxed), self.warnings.load(Ordering::Relaxed));
        match self.lang {
            Lang::Zh => format!("{errors} 个错误、{warnings} 个警告"),
            Lang::En => format!("{errors} errors, {warnings} warnings"),
        }
    }

    /// One more input done, with its shown errors and warnings.
    pub fn file_done(&self, name: &str, errors: usize, warnings: usize) {
        self.errors.fetch_add(errors, Ordering::Relaxed);
        self.warnings.fetch_add(warnings, Ordering::Relaxed);
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.shown {
            Shown::Bar(bar) => {
                let rate = done as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(match self.lang {
                    Lang::Zh => format!("{} · {rate:.1} 个/秒", self.findings_text()),
                    Lang::En => format!("{} · {rate:.1} files/s", self.findings_text()),
                });
                bar.inc(1);
            }
            Shown::Lines { every, out } => {
                if done.is_multiple_of(*every) || done == self.total {
                    let _guard = out.lock();
                    let elapsed = self.start.elapsed().as_secs_f64().max(1e-9);
                    let rate = done as f64 / elapsed;
                    let left = (self.total - done.min(self.total)) as f64 / rate.max(1e-9);
                    let line = match self.lang {
                        Lang::Zh => format!("[{done}/{}] {} · {rate:.1} 个文件/秒 · 预计剩余 {left:.0} 秒 · {name}", self.total, self.findings_text()),
                        Lang::En => format!("[{done}/{}] {} · {rate:.1} files/s · ETA {left:.0} s · {name}", self.total, self.findings_text()),
                    };
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(err, "{line}");
                }
            }
            Shown::Quiet => {}
        }
    }

    pub fn finish(&self) {
        if let Shown::Bar(bar) = &self.shown {
            bar.finish_and_clear();
        }
    }
}
