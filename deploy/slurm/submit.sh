#!/bin/bash
# Submits a budgetsim study to Slurm: a job array of SHARDS tasks, each simulating one
# shard, and a merge job that runs when they have all ended.
#
# usage: deploy/slurm/submit.sh SHARDS OUT BUDGETSIM [SCENARIO] [-- RUN_OPTIONS...]
#   SHARDS     number of array tasks (shards), e.g. 8
#   OUT        study folder on storage every node shares (created)
#   BUDGETSIM  budgetsim binary every node can run
#   SCENARIO   scenario file (default: the embedded default scenario)
#   RUN_OPTIONS  further options for every shard, e.g. -- --portfolios 1000000
# Extra sbatch options (partition, time, CPUs per task) go in SBATCH_* variables, e.g.
#   SBATCH_PARTITION=compute SBATCH_TIMELIMIT=30 deploy/slurm/submit.sh 8 /shared/study ./budgetsim
# Prints the two job ids; the merged run folder appears in OUT/merged.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '4,13p' "$0" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
shards=$1 out=$2 bin=$3
shift 3
scenario=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  scenario=$(realpath "$1")
  shift
fi
[ "${1:-}" = "--" ] && shift
case $shards in
  ''|*[!0-9]*|0) echo "submit.sh: SHARDS must be a whole number of at least 1, not '$shards'" >&2; exit 2 ;;
esac
[ -x "$bin" ] || { echo "submit.sh: $bin is not an executable budgetsim binary" >&2; exit 2; }
mkdir -p "$out/logs"
BUDGETSIM=$(realpath "$bin")
OUT=$(realpath "$out")
SCENARIO=$scenario
BUDGETSIM_ARGS="$*"
export BUDGETSIM OUT SCENARIO BUDGETSIM_ARGS
array=$(sbatch --parsable --array="0-$((shards - 1))" \
  --output="$OUT/logs/shard-%a.log" "$here/shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" \
  --output="$OUT/logs/merge.log" "$here/merge.sbatch")
merge=${merge%%;*}
echo "array $array ($shards shards), merge $merge; merged folder: $OUT/merged"
