/**
 * Keeps the memory of decoded tables warm between reads.
 *
 * A decoded table's buffers are allocated with `malloc` on the thread that copies them out of
 * WebAssembly memory. When the table is garbage-collected they are freed, and glibc's allocator
 * gives memory at the top of a heap back to the kernel as soon as more than a few MiB is free there.
 * The next read then writes into fresh pages, and touching fresh memory costs far more than
 * writing memory touched before (several times the whole decode on a virtual machine). A small
 * allocation made right after each row group's buffers — a pin — sits above them, so their memory
 * stays with the process, free for the next read, as an allocator like jemalloc keeps it. The pins
 * (a few MiB at most) are let go after some idle seconds, and the heap can shrink again.
 * On other allocators the pins are merely a little unused memory.
 */

/** Size of one pin: above the allocator's small-chunk bins, well below its mmap threshold. */
const PIN_BYTES = 64 * 1024;
/** Pins kept per thread (the newest ones), enough for the row groups of a few reads. */
const PIN_COUNT = 48;
/** Pins are released after this long without a read. */
const PIN_IDLE_MS = 10_000;

const pins: Buffer[] = [];
let timer: NodeJS.Timeout | undefined;

/**
 * Pins the top of this thread's heap after a row group's buffers were allocated (see the module
 * comment). Cheap: one 64 KiB allocation, never written.
 * @example const batches = decode(bytes); pinHeapTop();
 */
export function pinHeapTop(): void {
  pins.push(Buffer.allocUnsafeSlow(PIN_BYTES));
  if (pins.length > PIN_COUNT) pins.shift();
  clearTimeout(timer);
  timer = setTimeout(releasePins, PIN_IDLE_MS);
  timer.unref();
}

/** Lets every pin go (for tests and diagnostics; also done after some idle seconds). */
export function releasePins(): void {
  pins.length = 0;
  clearTimeout(timer);
}

/** Pins held on this thread (for tests and diagnostics). */
export function pinCount(): number {
  return pins.length;
}
