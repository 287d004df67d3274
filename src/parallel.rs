//! Two pieces of one file's work at once — unless the caller already keeps every core busy with other
//! files (a batch's rayon pool), where a second thread per file only adds switching and memory.

/// Runs `first` on another thread while `second` runs on this one; in a rayon worker, `second` then
/// `first` (the caller's own part first: it may settle that the other has little to do, as a reader
/// refusing a file stops the other reader). A panic in `first` goes on in the caller, as if it had
/// happened there.
pub fn both<A: Send, B>(first: impl FnOnce() -> A + Send, second: impl FnOnce() -> B) -> (A, B) {
    if rayon::current_thread_index().is_some() {
        let b = second();
        return (first(), b);
    }
    std::thread::scope(|scope| {
        let handle = scope.spawn(first);
        let b = second();
        (handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
    })
}

/// Frees `value` on a thread of its own, so the caller need not wait for it (a million cells take a
/// while to free); in a rayon worker, here and now, since the other cores have files of their own.
pub fn drop_aside<T: Send + 'static>(value: T) {
    if rayon::current_thread_index().is_some() {
        drop(value);
    } else {
        std::thread::spawn(move || drop(value));
    }
}
