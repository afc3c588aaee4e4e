/**
 * A cross-process "something was enqueued" signal for the embedded queue: enqueuers touch a small empty file
 * next to the queue's file, and claimers in other processes on the host watch it (inotify on Linux), so they
 * look at once instead of at their next poll. Best effort: a missed or unsupported watch (some network
 * filesystems) only falls back to the poll, so every failure here is swallowed.
 */
import { closeSync, openSync, utimesSync, watch, type FSWatcher } from 'node:fs';

export interface FileWake {
  /** Tells every watcher (in any process) to look now. */
  notify(): void;
  /** Watches again if an earlier watch ended (file replaced or deleted); cheap when already watching. */
  arm(): void;
  close(): void;
}

export function openFileWake(path: string, onWake: () => void): FileWake {
  let watcher: FSWatcher | null = null;
  let closed = false;

  const ensureFile = (): void => {
    try {
      // Owner-only like the queue file; it never holds data.
      closeSync(openSync(path, 'a', 0o600));
    } catch {
      // unwritable directory: the poll still works
    }
  };
  const startWatching = (): void => {
    if (closed || watcher !== null) return;
    try {
      // Not persistent: an idle watch must not keep the process alive.
      watcher = watch(path, { persistent: false }, (event) => {
        // A replaced or deleted file ends this watch; the next notify or wake re-creates it.
        if (event === 'rename') stopWatching();
        onWake();
      });
      watcher.on('error', stopWatching);
    } catch {
      watcher = null;
    }
  };
  function stopWatching(): void {
    watcher?.close();
    watcher = null;
  }

  ensureFile();
  startWatching();
  return {
    notify() {
      if (closed) return;
      const now = new Date();
      try {
        utimesSync(path, now, now);
      } catch {
        ensureFile();
      }
      startWatching();
    },
    arm() {
      if (watcher !== null || closed) return;
      ensureFile();
      startWatching();
    },
    close() {
      closed = true;
      stopWatching();
    },
  };
}
