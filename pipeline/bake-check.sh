#!/usr/bin/env bash
# Bake-time gate after a production wave (run by the pipeline's CodeBuild):
# for BAKE_MINUTES, poll the alarms whose names start with any of
# ALARM_PREFIXES in TARGET_ACCOUNT's TARGET_REGIONS; fail as soon as one is in
# ALARM, so the next wave never starts on an unhealthy production.
# Reads through the account's pipeline observer role (OBSERVER_ROLE_NAME,
# read-only, rolled out by the governance StackSets).
set -euo pipefail
: "${BAKE_MINUTES:?}" "${TARGET_ACCOUNT:?}" "${TARGET_REGIONS:?}" "${ALARM_PREFIXES:?}" "${OBSERVER_ROLE_NAME:?}"

deadline=$(( $(date +%s) + BAKE_MINUTES * 60 ))
while :; do
  for region in $TARGET_REGIONS; do
    creds=$(aws sts assume-role --region "$region" \
      --role-arn "arn:aws:iam::${TARGET_ACCOUNT}:role/${OBSERVER_ROLE_NAME}" \
      --role-session-name bake-check --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
    read -r key secret token <<<"$creds"
    for prefix in $ALARM_PREFIXES; do
      firing=$(AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
        aws cloudwatch describe-alarms --region "$region" --alarm-name-prefix "$prefix" --state-value ALARM \
        --query 'MetricAlarms[].AlarmName' --output text)
      if [ -n "$firing" ]; then
        echo "Bake check failed in $region: alarm(s) firing: $firing"
        exit 1
      fi
    done
  done
  [ "$(date +%s)" -ge "$deadline" ] && break
  sleep 30
done
echo "Bake check passed: no alarm of ${ALARM_PREFIXES} fired in ${BAKE_MINUTES} minutes"
