import type { ScanProgress } from '../scan/scan.js';

/** Redraws at most this often: a terminal repaint per file would slow a 10,000-file scan. */
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

/** A one-line progress bar on a TTY stream (stderr), never on the report stream. */
export class ProgressBar {
  private last = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  /** Update from a scan progress event. */
  update(progress: ScanProgress): void {
    const now = Date.now();
    if (now - this.last < REDRAW_MS && progress.filesDone < progress.filesTotal) return;
    this.last = now;
    const fraction = progress.bytesTotal > 0 ? progress.bytesDone / progress.bytesTotal : progress.filesDone / Math.max(1, progress.filesTotal);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
    const columns = this.stream.columns || 80;
    const prefix = `[${bar}] ${progress.filesDone}/${progress.filesTotal} files `;
    const room = Math.max(0, columns - prefix.length - 1);
    const name = progress.currentPath.length > room ? `...${progress.currentPath.slice(-(room - 3))}` : progress.currentPath;
    this.stream.write(`\r\x1b[2K${prefix}${room > 3 ? name.replace(/[\x00-\x1f\x7f]/g, '?') : ''}`);
    this.drawn = true;
  }

  /** Erase the bar so the report starts on a clean line. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
