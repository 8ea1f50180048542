/// The exit status YARN expects from Wait: the workload's code, or 128+signal for a signal death.
///
/// Kata's agent before 3.32 stored a signal death as the bare signal number (Kata 3.31.0 src/agent/src/signal.rs:
/// `WaitStatus::Signaled(_, sig, _) => sig as i32`); 3.32 reports 128+signal (commit c2d737c9d7, "agent: report
/// 128+signal as exit code for signal-terminated processes"). Inside the guest our pid 1 is kyr-init, which catches
/// every catchable signal and exits 128+signal itself when the workload dies by one, so the agent only ever sees a
/// signal death of the init when it is sent SIGKILL (or another signal it cannot catch). Mapping by the signals the
/// driver sent is therefore exact on every Kata version: a status equal to a signal we sent is that signal's death.
public enum ShimExitStatus {
    public static func normalized(_ status: Int32, signalsSent: Set<Int32>) -> Int32 {
        guard status > 0, status < 65, signalsSent.contains(status) else { return status }
        return 128 + status
    }
}
