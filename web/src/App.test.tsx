import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { App } from './App.tsx';
import { ApiError } from './lib/api.ts';
import { HISTORY_KEY, readHistory, writeHistory } from './lib/history.ts';
import { FakeApi, fakeFile, readyStatus } from './test/fake-api.ts';

const fast = { initialMs: 5, factor: 1, maxMs: 5, giveUpAfterMs: 5000 };
let api: FakeApi;

function setup(props: { concurrency?: number; storage?: Storage; slowLinkBytesPerSecond?: number } = {}) {
  const user = userEvent.setup({ applyAccept: false });
  // Files start together unless a test measures the link (the fake's uploads report no real rate).
  const view = render(
    <App api={api} storage={props.storage ?? window.localStorage} backoff={fast} slowLinkBytesPerSecond={0} {...props} />,
  );
  return { user, ...view };
}

const card = (name: string) => {
  const heading = screen.getByRole('heading', { name, level: 3 });
  const item = heading.closest('li');
  if (!item) throw new Error(`no card for ${name}`);
  return within(item);
};

const fileInput = () => screen.getByLabelText('Images to upload') as HTMLInputElement;

async function until(check: () => boolean, what: string) {
  await waitFor(() => {
    if (!check()) throw new Error(`waiting for ${what}`);
  });
}

beforeEach(() => {
  api = new FakeApi();
  Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true });
});

describe('uploading', () => {
  it('shows real progress, then each size as it becomes ready, then the links', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('cat.jpg', 'image/jpeg', 4000));
    await until(() => api.uploads.length === 1, 'the upload to start');
    const upload = api.uploads[0];
    expect(upload?.name).toBe('cat.jpg');

    act(() => upload?.progress(1050, 4200));
    const bar = card('cat.jpg').getByRole('progressbar', { name: 'Upload of cat.jpg' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([1050, 4200]);
    expect(card('cat.jpg').getByText('25% · 1000 B of 3.9 KB')).toBeTruthy();

    let id = '';
    act(() => {
      upload?.progress(4200, 4200);
      id = upload?.succeed().id ?? '';
    });
    await until(() => card('cat.jpg').queryByText(/^Uploaded/) !== null, 'the upload to finish');
    expect([bar.value, bar.max]).toEqual([4200, 4200]);
    expect(card('cat.jpg').queryAllByRole('img')).toHaveLength(0);

    act(() => api.setSizes(id, { tiny: { state: 'ready' }, small: { state: 'ready' } }));
    await until(() => card('cat.jpg').queryAllByRole('img').length === 2, 'two sizes');
    expect(card('cat.jpg').getByRole('img', { name: 'cat.jpg, tiny size' }).getAttribute('src')).toBe(`http://api.test/image/${id}/tiny`);

    act(() => api.setSizes(id, { big: { state: 'ready' }, medium: { state: 'failed', reason: 'worker crashed' } }));
    await until(() => card('cat.jpg').queryAllByRole('img').length === 3, 'three sizes');
    expect(card('cat.jpg').getByText(/failed: worker crashed/)).toBeTruthy();
    await until(() => screen.getByTestId('announcer').textContent?.includes('All sizes of cat.jpg are done') ?? false, 'announce');

    for (const kind of ['original', 'big', 'medium', 'small', 'tiny']) {
      const url = kind === 'original' ? `http://api.test/image/${id}` : `http://api.test/image/${id}/${kind}`;
      const link = screen.getByRole('heading', { name: 'cat.jpg' }).closest('li')?.querySelector(`[data-kind="${kind}"] a.link-url`);
      expect(link?.getAttribute('href')).toBe(url);
      expect(link?.textContent).toBe(url);
    }
  });

  it('sends the expiry chosen on the page with each upload, and none by default', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('plain.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 1, 'the first upload to start');
    expect(api.uploads[0]?.expiresIn).toBeUndefined();
    await user.selectOptions(screen.getByRole('combobox', { name: /delete after/i }), '1 day');
    await user.upload(fileInput(), fakeFile('short.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 2, 'the second upload to start');
    expect(api.uploads[1]?.expiresIn).toBe('1d');
  });

  it('sends at most `concurrency` files at once and starts the next when one ends', async () => {
    const { user } = setup({ concurrency: 2 });
    await user.upload(fileInput(), [fakeFile('a.png', 'image/png'), fakeFile('b.png', 'image/png'), fakeFile('c.png', 'image/png')]);
    await until(() => api.uploads.length === 2, 'two uploads');
    await new Promise((r) => setTimeout(r, 30));
    expect(api.uploads.map((u) => u.name)).toEqual(['a.png', 'b.png']);
    expect(card('c.png').getByText('Waiting…')).toBeTruthy();
    act(() => {
      api.uploads[1]?.succeed();
    });
    await until(() => api.uploads.length === 3, 'the third upload');
    expect(api.uploads[2]?.name).toBe('c.png');
  });

  it('sends one file at a time until the link is measured fast, and announces a resumed upload', async () => {
    const { user } = setup({ slowLinkBytesPerSecond: 1 });
    await user.upload(fileInput(), [fakeFile('a.png', 'image/png', 4096), fakeFile('b.png', 'image/png', 4096)]);
    await until(() => api.uploads.length === 1, 'the first upload');
    await new Promise((r) => setTimeout(r, 30));
    expect(api.uploads.map((u) => u.name)).toEqual(['a.png']);
    expect(card('b.png').getByText('Waiting…')).toBeTruthy();
    act(() => api.uploads[0]?.resume(1024, 4096));
    expect(screen.getByTestId('announcer').textContent).toContain('Resuming a.png from 25 %.');
    expect((screen.getByLabelText('Upload of a.png') as HTMLProgressElement).value).toBe(1024);
    act(() => {
      api.uploads[0]?.succeed();
    });
    await until(() => api.uploads.length === 2, 'the second upload');
    expect(api.uploads[1]?.name).toBe('b.png');
  });

  it("shows the server's message and uploads again on Retry", async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('big.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 1, 'the upload');
    act(() => api.uploads[0]?.fail(new ApiError('busy', 'Too many uploads in progress; retry shortly.', 503, 60, 'busy')));
    const alert = await card('big.jpg').findByRole('alert');
    expect(alert.textContent).toBe('Server busy: The server is handling many uploads at once. Retry in 1 minute.Retry');
    expect(screen.getByTestId('announcer').textContent).toContain('big.jpg failed: The server is handling many uploads');

    await user.click(card('big.jpg').getByRole('button', { name: 'Retry big.jpg' }));
    await until(() => api.uploads.length === 2, 'the second attempt');
    expect(card('big.jpg').queryByRole('alert')).toBeNull();
    act(() => {
      api.uploads[1]?.succeed();
    });
    await until(() => card('big.jpg').queryByText(/^Uploaded/) !== null, 'success');
  });

  it('refuses a non-image and a file over the limit without sending them', async () => {
    api.info_ = { maxUploadBytes: 1000, acceptedTypes: ['image/jpeg', 'image/png'] };
    const { user } = setup();
    await screen.findByText('Images up to 1000 B each: JPEG, PNG.');
    expect(fileInput().accept).toBe('image/jpeg,image/png');
    await user.upload(fileInput(), [
      fakeFile('notes.txt', 'text/plain', 10),
      fakeFile('huge.png', 'image/png', 5000),
      fakeFile('ok.png', 'image/png', 500),
    ]);
    expect(card('notes.txt').getByRole('alert').textContent).toBe('Not uploaded: This is not an image (text/plain).');
    expect(card('huge.png').getByRole('alert').textContent).toBe(
      'Not uploaded: This file is 4.9 KB; this server takes images up to 1000 B.',
    );
    expect(card('notes.txt').queryByRole('button', { name: /Retry/ })).toBeNull();
    await until(() => api.uploads.length === 1, 'the good file');
    expect(api.uploads[0]?.name).toBe('ok.png');
    expect(screen.getByTestId('announcer').textContent).toContain('1 file queued. 2 not uploaded.');
  });

  it('uploads an image pasted anywhere on the page, with a telling name', async () => {
    setup();
    fireEvent.paste(document, { clipboardData: { files: [fakeFile('image.png', 'image/png')] } });
    await until(() => api.uploads.length === 1, 'the pasted upload');
    expect(api.uploads[0]?.name).toMatch(/^pasted-\d{8}-\d{6}\.png$/);
  });

  it('leaves pasted text alone', async () => {
    setup();
    fireEvent.paste(document, { clipboardData: { files: [] } });
    await new Promise((r) => setTimeout(r, 20));
    expect(api.uploads).toHaveLength(0);
  });

  it('uploads files dropped on the page and lights the zone while dragging', async () => {
    setup();
    const zone = screen.getByTestId('dropzone');
    const dataTransfer = { types: ['Files'], files: [fakeFile('one.jpg', 'image/jpeg'), fakeFile('two.jpg', 'image/jpeg')] };
    fireEvent.dragEnter(zone, { dataTransfer });
    expect(zone.dataset.dragging).toBe('true');
    expect(within(zone).getByRole('heading', { name: 'Drop to upload' })).toBeTruthy();
    fireEvent.dragOver(zone, { dataTransfer });
    fireEvent.drop(zone, { dataTransfer });
    expect(zone.dataset.dragging).toBe('false');
    await until(() => api.uploads.length === 2, 'two uploads');
    expect(api.uploads.map((u) => u.name)).toEqual(['one.jpg', 'two.jpg']);
  });

  it('cancels an upload in flight and lets it be retried', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('slow.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 1, 'the upload');
    await user.click(card('slow.jpg').getByRole('button', { name: 'Cancel upload of slow.jpg' }));
    expect(api.uploads[0]?.signal?.aborted).toBe(true);
    expect((await card('slow.jpg').findByRole('alert')).textContent).toContain('Cancelled');
    await user.click(card('slow.jpg').getByRole('button', { name: 'Retry slow.jpg' }));
    await until(() => api.uploads.length === 2, 'the new attempt');
  });
});

describe('links', () => {
  it('copies one link, then all of them', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('dog.png', 'image/png'));
    await until(() => api.uploads.length === 1, 'the upload');
    let id = '';
    act(() => {
      id = api.uploads[0]?.succeed().id ?? '';
    });
    const copyBig = await card('dog.png').findByRole('button', { name: 'Copy big link of dog.png' });
    await user.click(copyBig);
    expect(await navigator.clipboard.readText()).toBe(`http://api.test/image/${id}/big`);
    expect(copyBig.textContent).toBe('Copied');
    await user.click(card('dog.png').getByRole('button', { name: 'Copy all links of dog.png' }));
    expect((await navigator.clipboard.readText()).split('\n')).toEqual([
      `http://api.test/image/${id}`,
      `http://api.test/image/${id}/big`,
      `http://api.test/image/${id}/medium`,
      `http://api.test/image/${id}/small`,
      `http://api.test/image/${id}/tiny`,
    ]);
  });
});

describe('My uploads', () => {
  async function uploadOne(user: ReturnType<typeof userEvent.setup>, name: string) {
    const before = api.uploads.length;
    await user.upload(fileInput(), fakeFile(name, 'image/jpeg'));
    await until(() => api.uploads.length === before + 1, 'the upload');
    let id = '';
    act(() => {
      id = api.uploads[before]?.succeed().id ?? '';
    });
    await until(() => readHistory(localStorage).some((e) => e.id === id), 'the saved entry');
    return id;
  }

  it('remembers uploads across visits and deletes one with its token after confirmation', async () => {
    const first = setup();
    const keep = await uploadOne(first.user, 'keep.jpg');
    const drop = await uploadOne(first.user, 'drop.jpg');
    first.unmount();

    const { user } = setup();
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    expect(mine.getAllByRole('link').map((a) => a.textContent)).toEqual(['drop.jpg', 'keep.jpg']);
    await user.click(mine.getByRole('button', { name: 'Delete drop.jpg' }));
    // The question opens on its safe answer: Enter right away keeps the image.
    expect(document.activeElement).toBe(mine.getByRole('button', { name: 'Keep' }));
    await user.click(mine.getByRole('button', { name: 'Yes, delete drop.jpg' }));
    await until(() => mine.queryByText('drop.jpg') === null, 'the row to go');
    expect(api.removed).toEqual([drop]);
    expect(readHistory(localStorage).map((e) => e.id)).toEqual([keep]);
    expect(screen.getByTestId('announcer').textContent).toContain('drop.jpg deleted.');
  });

  it('can change its mind', async () => {
    const { user } = setup();
    await uploadOne(user, 'maybe.jpg');
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    await user.click(mine.getByRole('button', { name: 'Delete maybe.jpg' }));
    await user.click(mine.getByRole('button', { name: 'Keep' }));
    expect(document.activeElement).toBe(mine.getByRole('button', { name: 'Delete maybe.jpg' }));
    expect(api.removed).toEqual([]);
  });

  it('closes the delete question with Escape, back on Delete, deleting nothing', async () => {
    const { user } = setup();
    await uploadOne(user, 'maybe.jpg');
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    await user.click(mine.getByRole('button', { name: 'Delete maybe.jpg' }));
    await user.keyboard('{Escape}');
    expect(mine.queryByRole('button', { name: 'Yes, delete maybe.jpg' })).toBeNull();
    expect(document.activeElement).toBe(mine.getByRole('button', { name: 'Delete maybe.jpg' }));
    expect(api.removed).toEqual([]);
  });

  it('offers no Retry for a refusal that cannot change (a damaged image)', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('broken.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 1, 'the upload');
    act(() => api.uploads[0]?.fail(new ApiError('corrupt', 'The file is damaged or truncated and cannot be read as an image.', 422)));
    await card('broken.jpg').findByRole('alert');
    expect(card('broken.jpg').queryByRole('button', { name: /Retry/ })).toBeNull();
  });

  it('asks before leaving the page while an upload is on its way, and not after', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('slow.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 1, 'the upload');
    const leaving = () => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(leaving()).toBe(true);
    act(() => {
      api.uploads[0]?.succeed();
    });
    await until(() => card('slow.jpg').queryByText(/^Uploaded/) !== null, 'success');
    expect(leaving()).toBe(false);
  });

  it('lists every size with its pixel size and embed codes after a reload', async () => {
    const first = setup();
    const id = await uploadOne(first.user, 'trip.jpg');
    first.unmount();
    // As the page records them when the thumbnails load (jsdom loads no images).
    const [saved] = readHistory(localStorage);
    if (!saved) throw new Error('nothing saved');
    writeHistory(localStorage, [{ ...saved, dimensions: { big: { width: 1024, height: 683 }, tiny: { width: 128, height: 85 } } }]);

    const { user } = setup();
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    await user.click(mine.getByText('All sizes and embed codes'));
    for (const kind of ['original', 'big', 'medium', 'small', 'tiny']) {
      const url = `http://api.test/image/${id}${kind === 'original' ? '' : `/${kind}`}`;
      expect(mine.getByRole('link', { name: url }).closest('li')?.getAttribute('data-kind')).toBe(kind);
    }
    expect(mine.getByRole('link', { name: `http://api.test/image/${id}/big` }).closest('li')?.textContent).toContain('big 1024×683');
    await user.click(mine.getByText('Embed codes'));
    await user.click(mine.getByRole('button', { name: 'Copy HTML of trip.jpg' }));
    const html = await navigator.clipboard.readText();
    expect(html).toContain(`srcset="http://api.test/image/${id}/tiny 128w, http://api.test/image/${id}/small 256w,`);
    expect(html).toContain('width="1024" height="683" alt="trip"');
    await user.click(mine.getByRole('button', { name: 'Copy BBCode of trip.jpg' }));
    expect(await navigator.clipboard.readText()).toBe(`[url=http://api.test/image/${id}][img]http://api.test/image/${id}/big[/img][/url]`);
  });

  it('exports the delete tokens to a file that another browser imports', async () => {
    const files: Blob[] = [];
    URL.createObjectURL = (blob: Blob) => {
      files.push(blob);
      return 'blob:export';
    };
    URL.revokeObjectURL = () => {};
    const first = setup();
    const id = await uploadOne(first.user, 'exported.jpg');
    await first.user.click(screen.getByRole('button', { name: 'Export delete tokens' }));
    const exported = files.filter((file) => file.type === 'application/json');
    expect(exported).toHaveLength(1);
    const text = await exported[0]?.text();
    first.unmount();

    localStorage.clear();
    const { user } = setup();
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    expect(mine.queryByRole('link', { name: 'exported.jpg' })).toBeNull();
    await user.upload(
      screen.getByLabelText('Exported uploads file to import'),
      new File([text ?? ''], 'uploads.json', { type: 'application/json' }),
    );
    expect((await mine.findByRole('status')).textContent).toBe('1 upload added.');
    expect(readHistory(localStorage).map((e) => [e.id, e.deleteToken])).toEqual([[id, `token-${id}`]]);
    // The imported token deletes.
    await user.click(mine.getByRole('button', { name: 'Delete exported.jpg' }));
    await user.click(mine.getByRole('button', { name: 'Yes, delete exported.jpg' }));
    await until(() => api.removed.includes(id), 'the delete');

    await user.upload(screen.getByLabelText('Exported uploads file to import'), new File(['{"a": 1}'], 'other.json'));
    await until(() => mine.getByRole('status').textContent?.includes('not an export') ?? false, 'the refusal');
    expect(mine.getByRole('status').textContent).toBe('other.json was not imported: This file is not an export of imgr uploads.');
    // jsdom has neither: leave it that way for the other tests.
    Reflect.deleteProperty(URL, 'createObjectURL');
    Reflect.deleteProperty(URL, 'revokeObjectURL');
  });

  it('says so when the browser storage is full, and keeps the upload listed', async () => {
    const full: Storage = Object.assign(Object.create(localStorage) as Storage, {
      getItem: (key: string) => localStorage.getItem(key),
      setItem: () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    });
    const { user } = setup({ storage: full });
    await user.upload(fileInput(), fakeFile('unsaved.jpg', 'image/jpeg'));
    await until(() => api.uploads.length === 1, 'the upload');
    act(() => {
      api.uploads[0]?.succeed();
    });
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    expect((await mine.findByRole('alert')).textContent).toContain('This browser refused to store more');
    expect(mine.getByRole('link', { name: 'unsaved.jpg' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Export delete tokens' })).toHaveProperty('disabled', false);
  });

  it("shows the server's refusal of a wrong token and offers to forget the entry", async () => {
    const { user } = setup();
    const id = await uploadOne(user, 'mine.jpg');
    api.tokens.set(id, 'another-token');
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    await user.click(mine.getByRole('button', { name: 'Delete mine.jpg' }));
    await user.click(mine.getByRole('button', { name: 'Yes, delete mine.jpg' }));
    expect((await mine.findByRole('alert')).textContent).toContain('Refused: wrong delete token');
    await user.click(mine.getByRole('button', { name: 'Forget mine.jpg' }));
    expect(readHistory(localStorage)).toEqual([]);
  });
});

describe('against the original API', () => {
  it('probes the variant URLs when there is no status route, and offers Forget instead of Delete', async () => {
    api.hasStatusRoute = false;
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('old.gif', 'image/gif'));
    await until(() => api.uploads.length === 1, 'the upload');
    act(() => {
      api.uploads[0]?.succeed({ id: 'Orig1234', delete_token: undefined });
    });
    await until(() => api.probeCalls >= 4, 'probing');
    expect(card('old.gif').queryAllByRole('img')).toHaveLength(0);
    for (const size of ['big', 'medium', 'small', 'tiny']) api.readyUrls.add(`http://api.test/image/Orig1234/${size}`);
    await until(() => card('old.gif').queryAllByRole('img').length === 4, 'four sizes');
    const mine = within(screen.getByRole('region', { name: /My uploads/ }));
    expect(mine.queryByRole('button', { name: 'Delete old.gif' })).toBeNull();
    await user.click(mine.getByRole('button', { name: 'Forget old.gif' }));
    expect(localStorage.getItem(HISTORY_KEY)).toBe('[]');
  });
});

describe('accessibility', () => {
  it('works from the keyboard: Tab reaches the picker button, which opens the file dialog', async () => {
    const { user } = setup();
    let opened = 0;
    fileInput().addEventListener('click', () => opened++);
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Choose images…' }));
    await user.keyboard('{Enter}');
    expect(opened).toBe(1);
  });

  it('labels every control of a finished upload', async () => {
    const { user } = setup();
    await user.upload(fileInput(), fakeFile('pic.png', 'image/png'));
    await until(() => api.uploads.length === 1, 'the upload');
    act(() => {
      const id = api.uploads[0]?.succeed().id ?? '';
      api.statuses.set(id, readyStatus());
    });
    await until(() => card('pic.png').queryAllByRole('img').length === 4, 'thumbnails');
    for (const button of screen.getAllByRole('button')) expect(button.getAttribute('aria-label') ?? button.textContent).toBeTruthy();
    for (const link of document.querySelectorAll('a.link-url')) expect(link.textContent).toMatch(/^http:\/\/api\.test\/image\//);
    for (const img of card('pic.png').getAllByRole('img')) expect(img.getAttribute('alt')).toMatch(/^pic\.png, \w+ size$/);
  });
});

describe('clearing the list', () => {
  it('removes finished items and keeps the ones still in progress', async () => {
    const { user } = setup();
    await user.upload(fileInput(), [
      fakeFile('done.png', 'image/png'),
      fakeFile('busy.png', 'image/png'),
      fakeFile('bad.txt', 'text/plain'),
    ]);
    await until(() => api.uploads.length === 2, 'two uploads');
    expect(screen.getByRole('button', { name: 'Clear finished' })).toBeTruthy();
    act(() => {
      const id = api.uploads[0]?.succeed().id ?? '';
      api.statuses.set(id, readyStatus());
    });
    await until(() => card('done.png').queryAllByRole('img').length === 4, 'done.png sizes');
    await user.click(screen.getByRole('button', { name: 'Clear finished' }));
    expect(screen.queryByRole('heading', { name: 'done.png' })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'bad.txt' })).toBeNull();
    expect(card('busy.png').getByText('0% · 0 B of 2 KB')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Clear finished' })).toBeNull();
    // My uploads keeps what was uploaded.
    expect(readHistory(localStorage).map((e) => e.name)).toEqual(['done.png']);
  });
});

describe('cancelling', () => {
  it('cancels a file still waiting for its turn at once, and a stale attempt never overwrites a retry', async () => {
    const { user } = setup({ concurrency: 1 });
    await user.upload(fileInput(), [fakeFile('first.png', 'image/png'), fakeFile('second.png', 'image/png')]);
    await until(() => api.uploads.length === 1, 'the first upload');
    await user.click(card('second.png').getByRole('button', { name: 'Cancel upload of second.png' }));
    expect(card('second.png').getByRole('alert').textContent).toContain('Cancelled: You stopped this upload.');
    // Retried while its first attempt still waits in the queue behind first.png.
    await user.click(card('second.png').getByRole('button', { name: 'Retry second.png' }));
    expect(card('second.png').getByText('Waiting…')).toBeTruthy();
    act(() => {
      api.uploads[0]?.succeed();
    });
    await until(() => api.uploads.length === 2, 'the retried upload');
    expect(api.uploads[1]?.name).toBe('second.png');
    await new Promise((r) => setTimeout(r, 20));
    expect(card('second.png').queryByRole('alert')).toBeNull();
    expect(api.uploads).toHaveLength(2);
  });
});

describe('configuration', () => {
  it('shows why config.json was not used', () => {
    render(<App api={api} storage={window.localStorage} warning="config.json is unusable (HTTP 404); using this site as the API." />);
    expect(screen.getByRole('alert').textContent).toBe('config.json is unusable (HTTP 404); using this site as the API.');
  });
});
