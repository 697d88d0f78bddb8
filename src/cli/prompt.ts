/**
 * Prompts for interactive commands over one readline interface (several interfaces on one stdin
 * lose buffered lines when input is piped). A hidden prompt does not echo what is typed.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export class Prompter {
  readonly #rl: Interface;
  readonly #output: Writable;
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string | null) => void)[] = [];
  #closed = false;
  #muted = false;

  constructor(input: Readable = process.stdin, output: Writable = process.stdout) {
    this.#output = output;
    const terminal = (input as { isTTY?: boolean }).isTTY === true;
    this.#rl = createInterface({ input, output, terminal });
    const rl = this.#rl as unknown as { _writeToOutput: (s: string) => void };
    // readline echoes typed characters through _writeToOutput; a hidden prompt swallows them.
    rl._writeToOutput = (s: string) => {
      if (!this.#muted) output.write(s);
    };
    this.#rl.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    this.#rl.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiting.splice(0)) waiter(null);
    });
  }

  /** The next line typed after the question; throws when input ended first. */
  async ask(question: string, hidden = false): Promise<string> {
    this.#output.write(question);
    this.#muted = hidden;
    const line = await this.#next();
    this.#muted = false;
    if (hidden) this.#output.write('\n');
    if (line === null) throw new Error('Input ended before the question was answered.');
    return line;
  }

  #next(): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  close(): void {
    this.#rl.close();
  }
}
