#!/usr/bin/env bash
# Pre-deploy gate of one service in one environment (run by the pipeline's
# CodeBuild and by the github engine's jobs): the service's stacks resolve
# their dependencies' SSM parameters (/<org>/<env>/services/<dep>/...) at
# deploy time, so deploying before a dependency is live fails inside
# CloudFormation with an obscure "parameter not found". This checks those
# parameters first, in every target region, and names the pipeline to run.
# Reads through the account's pipeline observer role (OBSERVER_ROLE_NAME,
# read-only, may ssm:GetParameter(s) on /<org>/*/services/*).
#
# Environment:
#   SERVICE              the service about to deploy (payments)
#   TARGET_ENVIRONMENT   the environment it deploys to (staging)
#   TARGET_ACCOUNT       that environment's 12-digit account id
#   TARGET_REGIONS       space-separated regions (eu-west-1 eu-central-1)
#   OBSERVER_ROLE_NAME   the read-only role to assume in TARGET_ACCOUNT
#   REQUIRED_PARAMETERS  space-separated <dependency>=<ssm parameter name>
#                        pairs: exactly what the service's stacks resolve;
#                        empty or unset: nothing to check
#   DEPENDENCY_PIPELINES optional, space-separated <dependency>=<pipeline>
#                        pairs: the pipeline (or workflow) that deploys each
#                        dependency, named in the message
#   PIPELINE_PREFIX      optional, default ServicePipeline-: for a dependency
#                        not in DEPENDENCY_PIPELINES, its pipeline is named
#                        ${PIPELINE_PREFIX}<dependency>
#
# Exit status: 0 every dependency is live; 1 a dependency is missing (one
# line per dependency and region on stderr); 2 bad input; 3 the parameters
# could not be read (the aws CLI's own error is printed above ours), which
# says nothing about the dependencies.
set -euo pipefail
set -f # names and regions are split on whitespace, never globbed
: "${SERVICE:?SERVICE (the service about to deploy) is required}"
: "${TARGET_ENVIRONMENT:?TARGET_ENVIRONMENT (the environment it deploys to) is required}"
: "${TARGET_ACCOUNT:?TARGET_ACCOUNT (the environment account id) is required}"
: "${TARGET_REGIONS:?TARGET_REGIONS (space-separated regions) is required}"
: "${OBSERVER_ROLE_NAME:?OBSERVER_ROLE_NAME (the read-only role to assume) is required}"
pipeline_prefix=${PIPELINE_PREFIX:-ServicePipeline-}
# The pipeline that deploys a dependency: DEPENDENCY_PIPELINES, else the prefix.
pipeline_of() {
  local pair
  for pair in ${DEPENDENCY_PIPELINES:-}; do
    if [ "${pair%%=*}" = "$1" ]; then printf '%s' "${pair#*=}"; return; fi
  done
  printf '%s' "${pipeline_prefix}$1"
}
export AWS_PAGER=""

fail_input() {
  echo "dependency-check: $*" >&2
  exit 2
}

# Joins the remaining arguments with the first one.
join() {
  local sep=$1 out=""
  shift
  for item in "$@"; do out+="${out:+$sep}$item"; done
  printf '%s' "$out"
}

# Succeeds when the first argument is among the others.
contains() {
  local needle=$1
  shift
  for item in "$@"; do [ "$item" = "$needle" ] && return 0; done
  return 1
}

[[ $TARGET_ACCOUNT =~ ^[0-9]{12}$ ]] || fail_input "TARGET_ACCOUNT \"$TARGET_ACCOUNT\" is not a 12-digit account id"
regions=()
for region in $TARGET_REGIONS; do regions+=("$region"); done
[ "${#regions[@]}" -gt 0 ] || fail_input "TARGET_REGIONS \"$TARGET_REGIONS\" names no region"

# Parse every pair before touching AWS: a typo must not look like an outage.
pair_deps=() pair_names=() deps=() names=()
for pair in ${REQUIRED_PARAMETERS:-}; do
  dep=${pair%%=*} name=${pair#*=}
  if [[ $pair != *=* || -z $dep || -z $name ]]; then
    fail_input "REQUIRED_PARAMETERS entry \"$pair\" is not <dependency>=<ssm parameter name>" \
      "(e.g. ledger=/acme-pay/${TARGET_ENVIRONMENT}/services/ledger/api-url)"
  fi
  pair_deps+=("$dep") pair_names+=("$name")
  contains "$dep" ${deps[@]+"${deps[@]}"} || deps+=("$dep")
  contains "$name" ${names[@]+"${names[@]}"} || names+=("$name")
done

if [ "${#pair_deps[@]}" -eq 0 ]; then
  echo "Nothing to check: ${SERVICE} declares no dependency parameters for ${TARGET_ENVIRONMENT}"
  exit 0
fi

role_arn="arn:aws:iam::${TARGET_ACCOUNT}:role/${OBSERVER_ROLE_NAME}"

# An aws CLI failure (AccessDenied, no credentials, throttling) is not a
# missing dependency: stop with the CLI's error (already on stderr) and say so.
cannot_read() {
  local region=$1 what=$2
  echo "dependency-check: could not read the SSM parameters of ${SERVICE}'s dependencies in ${TARGET_ENVIRONMENT}" \
    "(${region}) through the observer role ${role_arn}: ${what}." \
    "This says nothing about whether the dependencies are live; fix the access and retry this stage." >&2
  exit 3
}

missing=() # "<region> <parameter name>"
for region in "${regions[@]}"; do
  status=0
  creds=$(aws sts assume-role --region "$region" --role-arn "$role_arn" \
    --role-session-name dependency-check --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' \
    --output text) || status=$?
  [ "$status" -eq 0 ] || cannot_read "$region" "aws sts assume-role failed (exit $status, its error is above)"
  read -r key secret token <<<"$creds" || true
  [ -n "${token:-}" ] || cannot_read "$region" "aws sts assume-role returned no credentials"

  # GetParameters takes at most 10 names per call.
  for ((i = 0; i < ${#names[@]}; i += 10)); do
    batch=("${names[@]:i:10}")
    status=0
    invalid=$(AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
      aws ssm get-parameters --region "$region" --names "${batch[@]}" \
      --query InvalidParameters --output text) || status=$?
    [ "$status" -eq 0 ] || cannot_read "$region" "aws ssm get-parameters failed (exit $status, its error is above)"
    # Text output is tab-separated names, nothing or "None" for an empty
    # list; only a name we asked for counts as missing.
    for name in $invalid; do
      if contains "$name" "${batch[@]}"; then missing+=("$region $name"); fi
    done
  done
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "Dependencies of ${SERVICE} are live in ${TARGET_ENVIRONMENT} (${regions[*]}): $(join ', ' "${deps[@]}")"
  exit 0
fi

for dep in "${deps[@]}"; do
  for region in "${regions[@]}"; do
    absent=()
    for ((i = 0; i < ${#pair_deps[@]}; i++)); do
      [ "${pair_deps[i]}" = "$dep" ] || continue
      if contains "$region ${pair_names[i]}" "${missing[@]}" && ! contains "${pair_names[i]}" ${absent[@]+"${absent[@]}"}; then
        absent+=("${pair_names[i]}")
      fi
    done
    [ "${#absent[@]}" -gt 0 ] || continue
    if [ "${#absent[@]}" -eq 1 ]; then what="SSM parameter ${absent[0]} does not exist"
    else what="SSM parameters $(join ', ' "${absent[@]}") do not exist"; fi
    echo "${SERVICE} cannot deploy to ${TARGET_ENVIRONMENT}: its dependency ${dep} is not live in ${TARGET_ENVIRONMENT}" \
      "(${region}): ${what}. Deploy ${dep} to ${TARGET_ENVIRONMENT} first (pipeline $(pipeline_of "$dep"))," \
      "then retry this stage." >&2
  done
done
exit 1
