"""Peer for bench/detect-faces.ts: the same YuNet file through OpenCV's DNN module.

Debian's OpenCV 4.6 cannot load the 2023 YuNet models through FaceDetectorYN
(it expects the older prior-box export) nor the dynamic-shape file, so this
runs yunet_n_640_640.onnx with cv2.dnn and decodes exactly like
FaceDetectorYN does in OpenCV >= 4.8: score = sqrt(cls*obj), NMSBoxes.
Reads a JSON job on stdin, prints one JSON document on stdout.
"""
import json
import sys
import time

import cv2
import numpy as np

job = json.load(sys.stdin)
SIZE, SCORE, NMS = 640, job["score"], job["nms"]
t0 = time.perf_counter()
net = cv2.dnn.readNetFromONNX(job["model"])
names = net.getUnconnectedOutLayersNames()
load_ms = (time.perf_counter() - t0) * 1000


def detect(path):
    img = cv2.imread(path)
    h, w = img.shape[:2]
    s = min(SIZE / w, SIZE / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    padded = np.zeros((SIZE, SIZE, 3), np.uint8)
    padded[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    net.setInput(cv2.dnn.blobFromImage(padded))
    tf = time.perf_counter()
    out = dict(zip(names, net.forward(names)))
    forward_ms.append((time.perf_counter() - tf) * 1000)
    boxes, scores = [], []
    for st in (8, 16, 32):
        cls = np.clip(out[f"cls_{st}"].reshape(-1), 0, 1)
        obj = np.clip(out[f"obj_{st}"].reshape(-1), 0, 1)
        score = np.sqrt(cls * obj)
        keep = np.nonzero(score >= SCORE)[0]
        if keep.size == 0:
            continue
        cols = SIZE // st
        r, c = keep // cols, keep % cols
        bb = out[f"bbox_{st}"].reshape(-1, 4)[keep]
        cx, cy = (c + bb[:, 0]) * st, (r + bb[:, 1]) * st
        bw, bh = np.exp(bb[:, 2]) * st, np.exp(bb[:, 3]) * st
        for i in range(keep.size):
            boxes.append([float((cx[i] - bw[i] / 2) / s), float((cy[i] - bh[i] / 2) / s), float(bw[i] / s), float(bh[i] / s)])
            scores.append(float(score[keep[i]]))
    idx = cv2.dnn.NMSBoxes(boxes, scores, SCORE, NMS) if boxes else []
    return [{"box": boxes[i], "score": scores[i]} for i in np.array(idx).reshape(-1)]


forward_ms = []
results = {p: [] for p in job["images"]}
faces = {}
first_ms = None
for rnd in range(job["rounds"]):
    for p in job["images"]:
        t = time.perf_counter()
        faces[p] = detect(p)
        ms = (time.perf_counter() - t) * 1000
        if first_ms is None:
            first_ms = ms
        else:
            results[p].append(ms)
print(json.dumps({"opencv": cv2.__version__, "threads": cv2.getNumThreads(), "load_ms": load_ms, "first_ms": first_ms, "times": results, "forward_ms": forward_ms[1:], "faces": faces}))
