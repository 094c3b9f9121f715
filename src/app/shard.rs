//! `run --shard K/N` and `--shard auto`: which contiguous range of portfolio indexes
//! this process simulates, from the command line or from the scheduler's environment
//! (a Slurm job array or a Kubernetes Indexed Job).

use super::AppError;
use crate::export::manifest::Shard;

/// Most shards a study may have (far more than any cluster runs at once; a bound keeps
/// the merge's bookkeeping and messages small).
pub(super) const MAX_SHARDS: u64 = 100_000;

/// Reads an environment variable (a function so tests can pass their own).
pub(super) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn number(env: Env, name: &str) -> Result<Option<u64>, AppError> {
    match env(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            AppError::Usage(format!(
                "--shard auto: {name}={v:?} is not a whole number; run inside the job array or give --shard K/N"
            ))
        }),
    }
}

/// (index 1..=count, count) for `spec`: `K/N`, `auto` or `auto/N`.
pub(super) fn parse(spec: &str, env: Env) -> Result<(u64, u64), AppError> {
    let usage = |why: &str| {
        AppError::Usage(format!(
            "--shard {spec:?}: {why}; write K/N with 1 <= K <= N (e.g. --shard 3/8), or `auto` inside a Slurm job array or Kubernetes Indexed Job (`auto/N` gives the count there)"
        ))
    };
    let (k, n) = spec.split_once('/').unwrap_or((spec, ""));
    let count: Option<u64> = if n.is_empty() {
        None
    } else {
        Some(
            n.trim()
                .parse()
                .map_err(|_| usage("N is not a whole number"))?,
        )
    };
    if count == Some(0) {
        return Err(usage("N must be at least 1"));
    }
    if count.is_some_and(|n| n > MAX_SHARDS) {
        return Err(usage(&format!("N may be at most {MAX_SHARDS}")));
    }
    if k.trim() != "auto" {
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| usage("K is not a whole number"))?;
        let n = count.ok_or_else(|| usage("the shard count N is missing"))?;
        if k == 0 || k > n {
            return Err(usage("K must be between 1 and N"));
        }
        return Ok((k, n));
    }
    if env("SLURM_ARRAY_TASK_ID").is_some() && env("JOB_COMPLETION_INDEX").is_some() {
        return Err(AppError::Usage(
            "--shard auto: both SLURM_ARRAY_TASK_ID (Slurm) and JOB_COMPLETION_INDEX (Kubernetes) are set, so which shard this is is unclear; give --shard K/N".into(),
        ));
    }
    if let Some(id) = number(env, "SLURM_ARRAY_TASK_ID")? {
        let slurm = number(env, "SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
            AppError::Usage(
                "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; submit with sbatch --array".into(),
            )
        })?;
        if slurm == 0 || slurm > MAX_SHARDS {
            return Err(AppError::Usage(format!(
                "--shard auto: SLURM_ARRAY_TASK_COUNT={slurm}; an array of 1 to {MAX_SHARDS} tasks is needed"
            )));
        }
        let min = number(env, "SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        if let Some(n) = count.filter(|n| *n != slurm) {
            return Err(AppError::Usage(format!(
                "--shard auto/{n}: the Slurm array has {slurm} tasks; use the same count (or plain `auto`)"
            )));
        }
        // Arrays must be a contiguous range (--array=0-7 or 1-8): the index is the
        // task's place in it.
        let index = id.checked_sub(min).and_then(|i| i.checked_add(1));
        return match index {
            Some(k) if k <= slurm => Ok((k, slurm)),
            _ => Err(AppError::Usage(format!(
                "--shard auto: task {id} is outside the array of {slurm} tasks from {min}; give the array as a contiguous range such as --array=0-{}",
                slurm - 1
            ))),
        };
    }
    if let Some(i) = number(env, "JOB_COMPLETION_INDEX")? {
        let n = count.ok_or_else(|| {
            AppError::Usage(
                "--shard auto: in a Kubernetes Indexed Job, give the Job's completions as the count: --shard auto/N".into(),
            )
        })?;
        if n > MAX_SHARDS {
            return Err(AppError::Usage(format!(
                "--shard auto/{n}: at most {MAX_SHARDS} shards"
            )));
        }
        if i >= n {
            return Err(AppError::Usage(format!(
                "--shard auto/{n}: JOB_COMPLETION_INDEX={i} is not below the count {n}; set completions to {n}"
            )));
        }
        return Ok((i + 1, n));
    }
    Err(AppError::Usage(
        "--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give --shard K/N".into(),
    ))
}

/// Shard `k` of `n` over `portfolios`: the k-th of n contiguous ranges, as even as
/// whole portfolios allow.
pub(super) fn shard(k: u64, n: u64, portfolios: u64) -> Shard {
    let at = |i: u64| (u128::from(portfolios) * u128::from(i) / u128::from(n)) as u64;
    Shard {
        index: k,
        count: n,
        first: at(k - 1),
        end: at(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_shards() {
        let none = env(&[]);
        assert_eq!(parse("3/8", &none).unwrap(), (3, 8));
        for bad in ["0/8", "9/8", "3", "3/0", "x/8", "3/y", "auto", "1/100001"] {
            assert!(parse(bad, &none).is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_and_kubernetes() {
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
        ]);
        assert_eq!(parse("auto", &slurm).unwrap(), (6, 8));
        assert!(parse("auto/4", &slurm).is_err());
        let one_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(parse("auto", &one_based).unwrap(), (8, 8));
        let no_count = env(&[("SLURM_ARRAY_TASK_ID", "1")]);
        assert!(parse("auto", &no_count).is_err());
        // Counts of zero and extreme minimums are refused, never overflow.
        let zero = env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "0"),
        ]);
        assert!(parse("auto", &zero).is_err());
        let far = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("SLURM_ARRAY_TASK_MIN", "18446744073709551615"),
        ]);
        assert!(parse("auto", &far).is_err());
        let both = env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("JOB_COMPLETION_INDEX", "1"),
        ]);
        assert!(parse("auto/2", &both).is_err());
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(parse("auto/4", &k8s).unwrap(), (1, 4));
        assert!(parse("auto", &k8s).is_err());
        assert!(parse("auto/4", &env(&[("JOB_COMPLETION_INDEX", "4")])).is_err());
    }

    #[test]
    fn shards_cover_every_portfolio_once() {
        for (p, n) in [(10, 3), (7, 7), (3, 8), (1_000_000, 8)] {
            let mut next = 0;
            for k in 1..=n {
                let s = shard(k, n, p);
                assert_eq!(s.first, next);
                next = s.end;
            }
            assert_eq!(next, p);
        }
    }
}
