import { Writable } from 'node:stream';

/** A writable that keeps what it was given (as text), and can hold its write callbacks to build up backpressure. */
export class CapturedStream extends Writable {
  text = '';
  writes = 0;
  private held: Array<() => void> | null = null;

  constructor(highWaterMark?: number) {
    super({ highWaterMark, decodeStrings: false });
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.writes++;
    if (this.held) this.held.push(() => cb());
    else cb();
  }
  hold(): void {
    this.held = [];
  }
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const cb of held) cb();
  }
}
