#!/usr/bin/env bash
# Runs a budgetsim study on Kubernetes: the study volume (study-pvc.yaml), the Indexed
# Job of 8 shards (shards-job.yaml), and once that Job has ended, completed or failed,
# the merge (merge-job.yaml), whose log is printed. A failed shard is not hidden: the
# merge runs anyway and budgetsim's refusal names the missing shard.
#
# usage: deploy/kubernetes/run.sh [NAMESPACE]
#   NAMESPACE  namespace of the claim and the Jobs (default: kubectl's current one)
# Environment:
#   IMAGE    image to run instead of the one written in the Job files,
#            e.g. IMAGE=registry.example.org/budgetsim:0.1.0
#   TIMEOUT  seconds to wait for the shards, and again for the merge (default 7200)
# The study's options (scenario, --portfolios, --seed, --set) are in shards-job.yaml.
# Jobs left by an earlier study are deleted first, with their pods and logs; the study
# volume and its folders are kept (a shard folder is replaced when its shard runs again).
# Exits 0 when the merge completed (the run folder is /study/merged on the claim
# budgetsim-study), 1 when it failed or a wait timed out, 2 for a usage error.
set -euo pipefail
usage() { sed -n '7,12p' "$0" >&2; }
if [ $# -gt 1 ] || [[ ${1:-} == -* ]]; then
  usage
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
namespace=${1:-}
timeout=${TIMEOUT:-7200}
case $timeout in
  '' | *[!0-9]*) echo "run.sh: TIMEOUT must be a whole number of seconds, not '$timeout'" >&2; exit 2 ;;
esac
command -v kubectl > /dev/null || { echo "run.sh: kubectl is not on PATH" >&2; exit 2; }

# kubectl in the chosen namespace.
k() { kubectl ${namespace:+--namespace "$namespace"} "$@"; }

# Applies a manifest, with IMAGE in place of the container's image if it is set.
apply() {
  if [ -n "${IMAGE:-}" ]; then
    kubectl set image --local -f "$1" budgetsim="$IMAGE" -o yaml | k apply -f -
  else
    k apply -f "$1"
  fi
}

# Waits until job $1 has ended and prints Complete or Failed; fails after TIMEOUT
# seconds. (kubectl wait takes one condition; a Job ends with either.)
wait_job() {
  local job=$1 deadline=$((SECONDS + timeout)) ended
  while [ "$SECONDS" -lt "$deadline" ]; do
    ended=$(k get job "$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{"\n"}{end}' 2> /dev/null) || ended=""
    if grep -qx Complete <<< "$ended"; then
      echo Complete
      return 0
    fi
    if grep -qx Failed <<< "$ended"; then
      echo Failed
      return 0
    fi
    sleep 5
  done
  return 1
}

# For every failed shard pod: its shard, why it ended, and the end of its log.
report_failed_shards() {
  local n pods name index reason code
  n=$(k get job budgetsim-shards -o jsonpath='{.spec.completions}') || n="?"
  pods=$(k get pods -l job-name=budgetsim-shards --field-selector=status.phase=Failed \
    -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.annotations.batch\.kubernetes\.io/job-completion-index} {.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode}{"\n"}{end}') || pods=""
  while read -r name index reason code; do
    [ -n "$name" ] || continue
    echo "run.sh: shard $((index + 1))/$n (pod $name): ${reason:-ended} with exit ${code:-?}; end of its log:"
    k logs "$name" --tail=5 2>&1 | sed 's/^/    /' || true
  done <<< "$pods"
}

k delete job budgetsim-shards budgetsim-merge --ignore-not-found --cascade=foreground --wait=true
k apply -f "$here/study-pvc.yaml"
apply "$here/shards-job.yaml"
echo "run.sh: shards submitted; waiting up to ${timeout} s for budgetsim-shards to end"
if ! shards=$(wait_job budgetsim-shards); then
  echo "run.sh: budgetsim-shards has not ended after ${timeout} s; see: kubectl${namespace:+ -n $namespace} get pods -l job-name=budgetsim-shards (pods Pending: kubectl${namespace:+ -n $namespace} describe pvc budgetsim-study)" >&2
  echo "run.sh: once it has ended, merge with: kubectl${namespace:+ -n $namespace} apply -f $here/merge-job.yaml" >&2
  exit 1
fi
succeeded=$(k get job budgetsim-shards -o jsonpath='{.status.succeeded}') || succeeded=""
echo "run.sh: budgetsim-shards $shards: ${succeeded:-0} of $(k get job budgetsim-shards -o jsonpath='{.spec.completions}' || echo '?') shards succeeded"
if [ "$shards" = Failed ]; then
  report_failed_shards
  echo "run.sh: merging anyway, so that budgetsim names what is missing"
fi

apply "$here/merge-job.yaml"
if ! merged=$(wait_job budgetsim-merge); then
  echo "run.sh: budgetsim-merge has not ended after ${timeout} s; see: kubectl${namespace:+ -n $namespace} describe job budgetsim-merge" >&2
  exit 1
fi
echo "run.sh: budgetsim-merge $merged; its log:"
k logs job/budgetsim-merge || true
if [ "$merged" != Complete ]; then
  echo "run.sh: the merge failed (its message is above); /study/merged was left as it was" >&2
  exit 1
fi
echo "run.sh: merged run folder: /study/merged on the claim budgetsim-study (docs/scale-out.md: copying it out)"
