# Peer for `bench -- colorize`: DDColor's reference pipeline (inference/colorization_pipeline.py:
# BGR/255 → Lab, resize to the network size, grey RGB from L, network, a/b resized back and
# merged with the original L, Lab → BGR, PNG) with OpenCV, the network through cv2.dnn.
# Reads {"model", "images": [paths], "rounds", "size"} on stdin, prints times per stage in ms.
import json, sys, time
import cv2
import numpy as np

job = json.load(sys.stdin)
net = cv2.dnn.readNetFromONNX(job["model"])
size = job["size"]
out = {"opencv": cv2.__version__, "threads": cv2.getNumThreads(), "total_ms": {}, "network_ms": {}}
for path in job["images"]:
    totals, nets = [], []
    for _ in range(job["rounds"] + 1):
        t0 = time.perf_counter()
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        img = (img / 255.0).astype(np.float32)
        orig_l = cv2.cvtColor(img, cv2.COLOR_BGR2Lab)[:, :, :1]
        small = cv2.resize(img, (size, size))
        l = cv2.cvtColor(small, cv2.COLOR_BGR2Lab)[:, :, :1]
        grey = cv2.cvtColor(np.concatenate((l, np.zeros_like(l), np.zeros_like(l)), axis=-1), cv2.COLOR_LAB2RGB)
        t1 = time.perf_counter()
        net.setInput(grey.transpose((2, 0, 1))[None], "input")
        ab = net.forward("output")[0].transpose((1, 2, 0))
        t2 = time.perf_counter()
        ab = cv2.resize(ab, (w, h))
        bgr = cv2.cvtColor(np.concatenate((orig_l, ab), axis=-1), cv2.COLOR_LAB2BGR)
        ok, png = cv2.imencode(".png", (bgr * 255.0).round().astype(np.uint8))
        t3 = time.perf_counter()
        totals.append((t3 - t0) * 1000)
        nets.append((t2 - t1) * 1000)
    # The first round warms up; it is left out.
    out["total_ms"][path] = totals[1:]
    out["network_ms"][path] = nets[1:]
json.dump(out, sys.stdout)
