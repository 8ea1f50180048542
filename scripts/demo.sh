#!/usr/bin/env bash
# `make demo`: installs the release binary setuid on a throwaway YARN-style node under /var/lib/kata-yarn-demo,
# launches a container the way a NodeManager does (user `yarn` calling operation 1 with an empty environment) in
# the strongest sandbox that works on this host, and shows what happened, from inside and outside.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates users and installs a setuid binary)"; exit 1; }
ROOT=/var/lib/kata-yarn-demo
APP=application_1700000000000_0001
CID=container_1700000000000_0001_01_000001
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

getent group hadoop >/dev/null || groupadd hadoop
id yarn >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin -g hadoop yarn
usermod -a -G hadoop yarn
id alice >/dev/null 2>&1 || useradd -M -s /bin/bash alice

# Strongest sandbox that really works here: Kata (needs its shim and a usable /dev/kvm), then gVisor, then runc.
pick_runtime() {
  if [ -x /usr/bin/containerd-shim-kata-v2 ] && [ -c /dev/kvm ]; then echo kata; return; fi
  if command -v runsc >/dev/null; then echo runsc; return; fi
  echo runc
}
RUNTIME=${RUNTIME:-$(pick_runtime)}
why="runsc (gVisor): a user-space kernel between the job and the host; Kata needs containerd-shim-kata-v2 and KVM"
[ "$RUNTIME" = kata ] && why="kata: a micro-VM per container"
[ "$RUNTIME" = runc ] && why="runc: namespaces + seccomp only (gVisor not installed)"

rm -rf "$ROOT"; mkdir -p "$ROOT"/{bin,etc/hadoop,libexec/kata-yarn-runtime,nm/local/nmPrivate/$APP/$CID,nm/local/usercache,nm/local/filecache,nm/logs}
chmod 755 "$ROOT"
install -o root -g hadoop -m 6050 .build/release/kata-yarn-runtime "$ROOT/bin/kata-yarn-runtime"
install -m 0755 .build/release/kyr-init "$ROOT/libexec/kata-yarn-runtime/kyr-init"
install -m 0644 .build/release/kyr-compat.so "$ROOT/libexec/kata-yarn-runtime/kyr-compat.so"
install -m 0644 .build/release/kyr-share.so "$ROOT/libexec/kata-yarn-runtime/kyr-share.so"
cat > "$ROOT/etc/hadoop/container-executor.cfg" <<CFG
yarn.nodemanager.linux-container-executor.group=hadoop
banned.users=hdfs,yarn,mapred,bin
min.user.id=1000
[kata]
  runtime.default=$RUNTIME
  state-root=$ROOT/state
CFG
chown -R yarn:hadoop "$ROOT/nm"; chmod 700 "$ROOT/nm/local/nmPrivate"
PRIV=$ROOT/nm/local/nmPrivate/$APP/$CID
LOG=$ROOT/nm/logs/$APP/$CID
WORK=$ROOT/nm/local/usercache/alice/appcache/$APP/$CID
cat > "$PRIV/launch_container.sh" <<SCRIPT
#!/bin/bash
set -o pipefail -e
exec >"$LOG/prelaunch.out"
exec 2>"$LOG/prelaunch.err"
export CONTAINER_ID="$CID"
echo "Launching container"
exec /bin/bash -c "( echo \"user:     \$(id)\"; echo \"hostname: \$(hostname)\"; echo \"pid 1:    \$(xargs -0 echo </proc/1/cmdline)\"; echo \"runtime:  \\\$KATA_YARN_RUNTIME\"; echo \"kernel:   \$(uname -r) (host: $(uname -r))\"; echo \"mounts:   \$(wc -l </proc/self/mountinfo) entries\"; echo \"caps:     \$(grep CapEff /proc/self/status)\"; echo \"seccomp:  \$(grep ^Seccomp: /proc/self/status)\"; echo \"/root:    \$(ls /root 2>&1)\"; echo \"write /usr: \$(touch /usr/x 2>&1 || true)\"; python3 -c 'print(\"python says\", sum(range(10**6)))' ) 1>$LOG/stdout 2>$LOG/stderr"
SCRIPT
echo "tokens" > "$PRIV/$CID.tokens"; chown -R yarn:hadoop "$ROOT/nm/local/nmPrivate"

say "sandbox: $RUNTIME — $why"
say "the NodeManager's call (as user yarn, empty environment)"
ARGS=(alice alice 1 $APP $CID $WORK $PRIV/launch_container.sh $PRIV/$CID.tokens --http $PRIV/$CID.pid $ROOT/nm/local $ROOT/nm/logs cgroups=none)
echo "runuser -u yarn -- env -i $ROOT/bin/kata-yarn-runtime ${ARGS[*]}"
start=$(date +%s%N)
set +e
runuser -u yarn -- env -i "$ROOT/bin/kata-yarn-runtime" "${ARGS[@]}"
rc=$?
set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
say "exit status $rc after ${ms} ms; pid file: $(cat $PRIV/$CID.pid), exit-code file: $(cat $PRIV/$CID.pid.exitcode)"
say "what the container saw (YARN's stdout log: $LOG/stdout)"
cat "$LOG/stdout"; cat "$LOG/stderr"
say "YARN layout afterwards"
ls -la "$WORK" "$LOG"
say "left behind by the runtime: $(ls "$ROOT/state/containers" | wc -l) container records, $(grep -c "$ROOT" /proc/self/mountinfo || true) mounts"
echo "binary: $(stat -c '%A %U:%G %s bytes' $ROOT/bin/kata-yarn-runtime)"
exit $rc
