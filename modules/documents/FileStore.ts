// Document bytes on disk, under generated names: write to a temp file in the same folder, fsync, rename.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const TEMP = /^\.upload-.*\.tmp$/;

export class FileStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** The path of a document's bytes; `id` is a UUID the module generated, never client input. */
  pathOf(id: string): string {
    return path.join(this.dir, id);
  }

  /**
   * Makes the file appear whole or not at all: a crash mid-write leaves only a temp file
   * (swept at the next start), never a truncated file under the final name.
   */
  async write(id: string, bytes: Uint8Array): Promise<void> {
    const temp = path.join(this.dir, `.upload-${randomUUID()}.tmp`);
    try {
      const handle = await fs.promises.open(temp, 'wx', 0o640);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(temp, this.pathOf(id));
    } catch (error) {
      await fs.promises.rm(temp, { force: true });
      throw error;
    }
    await this.syncDir();
  }

  read(id: string): Promise<Buffer> {
    return fs.promises.readFile(this.pathOf(id));
  }

  async remove(id: string): Promise<void> {
    await fs.promises.rm(this.pathOf(id), { force: true });
  }

  /** Removes temp files a crash left behind. */
  sweepTemp(): void {
    for (const name of fs.readdirSync(this.dir)) if (TEMP.test(name)) fs.rmSync(path.join(this.dir, name), { force: true });
  }

  /** The rename is durable only once the folder itself is synced. */
  private async syncDir(): Promise<void> {
    const handle = await fs.promises.open(this.dir, 'r');
    try {
      await handle.sync();
    } catch {
      // Some file systems refuse fsync on a folder; the rename is still atomic there.
    } finally {
      await handle.close();
    }
  }
}
