import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIZES, variantsReady } from '../support/images.js';
import { fixtures, type ImgrProcess, startImgr, uploadFile, waitFor } from '../support/services.js';

// `imgr all` with its in-process queue and filesystem storage: the tasks of accepted uploads live only in
// memory, so a SIGKILL loses them. The process must find that work again when it starts.
describe('single-machine mode: accepted work survives a SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'imgr-recovery-'));
  const env = {
    CELERY_BROKER_URL: 'memory://',
    IMGR_STORAGE: 'fs',
    IMGR_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // One render at a time, so the uploads below are still queued when the process is killed.
    IMGR_WORKER_CONCURRENCY: '1',
  };
  let imgr: ImgrProcess | undefined;

  afterAll(async () => {
    await imgr?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL right after the 201s, restart: every size of every image appears', async () => {
    imgr = await startImgr('all', env);
    const photo = readFileSync(join(fixtures, 'photo-15mp.jpg'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await uploadFile(imgr.url, photo, 'photo.jpg');
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    await imgr.stop('SIGKILL');

    // The kill did lose work: some sizes were never written (else this test would prove nothing).
    const missing = ids.flatMap((id) => Object.keys(SIZES).filter((size) => !existsSync(join(dataDir, size, id))));
    expect(missing.length).toBeGreaterThan(0);

    imgr = await startImgr('all', env);
    const running = imgr;
    for (const id of ids) await waitFor(() => variantsReady(running.url, id), 90_000, 200);
  });
});
