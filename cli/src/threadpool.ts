// Imported first by main.ts, before any module does I/O: libuv sizes its pool once, on first use.
// sharp runs each pipeline on a pool thread; with the default 4 threads a worker's renders (up to
// IMGR_WORKER_CONCURRENCY images x 5 pipelines) or the API's trial decodes (IMGR_MAX_CONCURRENT_UPLOADS)
// would leave file-system and DNS calls waiting behind them. An operator's own value wins.
const renderJobs = Number(process.env.IMGR_WORKER_CONCURRENCY ?? 2) * 5;
const doorJobs = Number(process.env.IMGR_MAX_CONCURRENT_UPLOADS ?? 8);
const spareForIo = 4;
if (process.env.UV_THREADPOOL_SIZE === undefined) {
  const size = (Number.isFinite(renderJobs) ? renderJobs : 10) + (Number.isFinite(doorJobs) ? doorJobs : 8) + spareForIo;
  process.env.UV_THREADPOOL_SIZE = String(Math.min(size, 1024));
}
