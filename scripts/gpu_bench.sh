#!/usr/bin/env bash
# One-shot GPU benchmark for a session that has a CUDA machine (H100 / H200 class).
#
#   bash scripts/gpu_bench.sh [PART]     # writes every result under ${OUT:-gpu_bench_out}/
#
# PART (each fits one 600 s device call; a 15-minute session has room for about two):
#   bench        (default) the speed and precision measurements listed below
#   course-fp16  notebooks 07 then 08 as a student runs them, on CUDA, 2-minute training budgets,
#                fp16 + GradScaler (what amp="auto" picks on a free Colab T4); 08 must find 07's
#                checkpoint in the shared runs folder, and every assert in both must hold
#   course-bf16  the same under bf16 (what "auto" picks on A100/H100)
#   demo         `aminet demo --minutes 2` on CUDA (AMINet-S, L1), with its real-face row
#
# The bench part:
# Prepared on a CPU-only machine: nothing here has been run on a GPU yet. It measures, in order of
# importance (each step has its own time limit so one slow compile cannot eat the whole budget):
#   1. aminet, aminet-s, sparnet: fp32 eager, batch 1/16/64 (latency, throughput, memory)
#   2. the same in bf16 + channels_last
#   3. bf16 + channels_last + CUDA graphs (eager capture)       -> the batch-1 latency target (< 3 ms)
#   4. bf16 + torch.compile (mode reduce-overhead: compiled + CUDA graphs)
#   5. training step throughput, bf16 + channels_last, batch 64  -> the > 1,000 img/s target
#   6. the speed changes before/after on the GPU, and a torch.profiler table of aminet
#   7. mixed precision on this GPU: what amp="auto" picks, and SA / AMINet at 128x128 (features of
#      mean 3) finite and close to fp32 under fp16 and bf16 autocast; and which way of forming SA's
#      half-precision logits is faster here (q, k normalised first, as shipped, or an fp32 product)
# Step limits add up to 585 s: give the device tool timeout_s=600.
# Paste the JSON files into docs/benchmarks.md with the GPU's name (they carry it in "machine").
set -u
OUT_DIR="${OUT:-gpu_bench_out}"
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/log.txt"
MODELS="aminet,aminet-s,sparnet"

run() {  # run NAME SECONDS COMMAND...: stdout to NAME.json/.txt, stderr to the log
  local name="$1" limit="$2"
  shift 2
  echo "=== $name ($(date -u +%H:%M:%S), limit ${limit}s): $*" | tee -a "$LOG"
  local start=$SECONDS
  timeout "$limit" "$@" >"$OUT_DIR/$name.out" 2>>"$LOG"
  echo "=== $name exit $? after $((SECONDS - start))s" | tee -a "$LOG"
  tail -c 2000 "$OUT_DIR/$name.out"
  echo
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
  python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
} 2>&1 | tee "$OUT_DIR/machine.txt"

# No network on the device machines: run from the checkout instead of installing it.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python -c "import aminet, tqdm, torchinfo, matplotlib" 2>&1 | tee -a "$LOG"

PART="${1:-bench}"
course() {  # course AMP: notebooks 07 and 08 as plain scripts, sharing one runs folder
  local amp="$1" runs="$OUT_DIR/runs-$1"
  mkdir -p "$runs"
  for nb in 07_training 08_amigan; do
    AMINET_RUNS="$runs" AMINET_MINUTES=2 AMINET_AMP="$amp" MPLBACKEND=Agg \
      run "${nb}_$amp" 270 python "solutions/$nb.py"
  done
  ls -l "$runs"/*/ | tee -a "$LOG"
}
case "$PART" in
  bench) ;;
  course-fp16) course fp16; exit 0 ;;
  course-bf16) course bf16; exit 0 ;;
  demo)
    run demo_cuda 540 python -m aminet demo --device cuda --minutes 2 --out "$OUT_DIR/demo"
    cp "$OUT_DIR/demo/metrics.json" "$OUT_DIR/demo_metrics.json" 2>/dev/null
    exit 0
    ;;
  *) echo "unknown part $PART: expected bench, course-fp16, course-bf16 or demo" >&2; exit 2 ;;
esac

run fp32_eager 90 python -m aminet bench --models "$MODELS" --device cuda --batch 1,16,64 --repeats 30 --json
run bf16_cl 75 python -m aminet bench --models "$MODELS" --device cuda --batch 1,16,64 --repeats 30 \
  --dtype bf16 --channels-last --json
run bf16_cl_graphs 60 python -m aminet bench --models "$MODELS" --device cuda --batch 1,16,64 --repeats 50 \
  --dtype bf16 --channels-last --cuda-graphs --no-memory --json
run train_bf16_cl 90 python -m aminet bench --models "$MODELS" --device cuda --batch 64 --repeats 10 \
  --dtype bf16 --channels-last --train --no-memory --json
run bf16_compile_graphs 150 python -m aminet bench --models aminet,sparnet --device cuda --batch 1,64 --repeats 50 \
  --dtype bf16 --channels-last --compile --cuda-graphs --no-memory --json
run speed_changes 45 python scripts/speed_changes.py --device cuda --repeats 20 --train --memory-format
run profile 45 python scripts/profile_aminet.py --device cuda --batch 16 --steps 5
run precision 30 python - <<'PY'
import torch, aminet
from aminet.device import autocast_dtype, native_bf16
from aminet.modules import SelfAttention
print("capability", torch.cuda.get_device_capability(), "native bf16", native_bf16("cuda"),
      "auto ->", autocast_dtype("auto", "cuda"))
torch.manual_seed(0)
for name, net, x in (
    ("SelfAttention(26)", SelfAttention(26), torch.randn(4, 26, 128, 128) + 3),
    ("aminet", aminet.create_model("aminet"), torch.rand(4, 3, 128, 128)),
):
    net, x = net.cuda().eval(), x.cuda()
    with torch.no_grad():
        ref = net(x)
        for dtype in (torch.float16, torch.bfloat16):
            with torch.autocast("cuda", dtype=dtype):
                y = net(x).float()
            err = ((y - ref).norm() / ref.norm()).item()
            print(f"{name} {dtype}: finite {bool(torch.isfinite(y).all())}, rel. error {err:.2e}")

# SA's half-precision logits: q, k normalised first (the shipped path) vs the product in fp32
import time
def ms(fn, n=50):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / n * 1e3
sa = SelfAttention(26).cuda().eval()
x = torch.randn(16, 26, 128, 128, device="cuda") + 3
for dtype in (torch.float16, torch.bfloat16):
    with torch.no_grad():
        with torch.autocast("cuda", dtype=dtype):
            q, k, _ = sa._heads(x)
            first = ms(lambda: sa._logits(q, k))
        fp32 = ms(lambda: sa._logits(q.float(), k.float()))  # outside autocast: a true fp32 matmul
    print(f"SA logits {dtype}, batch 16, C=26, 128x128: normalise first {first:.3f} ms, "
          f"fp32 product {fp32:.3f} ms")
PY
echo "done; results in $OUT_DIR" | tee -a "$LOG"
