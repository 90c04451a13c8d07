"""Python Celery peers for imgr's wire-compatibility tests.

`recorder` mode: a Celery app that declares the resize task under the original name and records the
arguments of every task it runs (it stands where the original Python worker stands).
`produce` mode: sends one upload's four resize tasks as a Celery group, the way the original backend
does, for imgr's worker to consume.
"""
import json
import os
import sys

from celery import Celery, group

app = Celery("imgr_interop", broker=os.environ["CELERY_BROKER_URL"])
app.conf.task_default_queue = "celery"
app.conf.worker_hijack_root_logger = False

SIZES = (1024, 512, 256, 128)


@app.task(name="image_api.worker.resize_image", bind=True)
def resize_image(self, key, size):
    with open(os.environ["IMGR_INTEROP_RECORD"], "a", encoding="utf-8") as record:
        request = self.request
        record.write(json.dumps({"key": key, "size": size, "task_id": request.id, "group": request.group}) + "\n")


def produce(image_id):
    result = group(resize_image.s(key=image_id, size=size) for size in SIZES).delay()
    print(json.dumps({"group": result.id}))


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2])
    elif sys.argv[1] == "recorder":
        app.worker_main(["worker", "--pool=solo", "--concurrency=1", "--queues=celery", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"])
