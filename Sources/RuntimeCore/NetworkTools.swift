import LinuxSystem
import RuntimeBase
import YarnContract

/// Runs Debian's `ip` (iproute2) and `nft` (nftables) by absolute path with a fixed environment. Scripts go
/// through files (`ip -batch`, `nft -f`): one process per step, and the file stays as evidence of what ran.
struct NetworkTools {
    static let ip = "/usr/sbin/ip"
    static let nft = "/usr/sbin/nft"
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
    let system: any System

    func ensureInstalled() throws(RuntimeError) {
        for (tool, package) in [(Self.ip, "iproute2"), (Self.nft, "nftables")] {
            // Debian 12 links /usr/sbin/ip to /bin/ip: follow the link to the file execve will run.
            guard let real = system.realPath(tool), let status = try? system.fileStatus(real), status.kind == .regular,
                  status.mode & 0o111 != 0, status.uid == 0 else {
                throw RuntimeError(.runcSetupFailed, "routed networking needs \(tool) (install Debian's \(package))")
            }
        }
    }

    /// `ip -batch <file>` (commands one per line); stderr goes to `log`.
    func ip(_ commands: [String], script: AbsolutePath, log: Int32, force: Bool = false) throws(RuntimeError) {
        try system.writeFileAtomically(script.value, Array((commands.joined(separator: "\n") + "\n").utf8), mode: 0o600, code: .runcSetupFailed)
        try run(Self.ip, (force ? ["-force"] : []) + ["-batch", script.value], log: log, what: "ip -batch \(script)")
    }

    /// `nft -f <file>`: the whole file is one transaction.
    func nft(_ text: String, script: AbsolutePath, log: Int32) throws(RuntimeError) {
        try system.writeFileAtomically(script.value, Array(text.utf8), mode: 0o600, code: .runcSetupFailed)
        try run(Self.nft, ["-f", script.value], log: log, what: "nft -f \(script)")
    }

    func run(_ path: String, _ arguments: [String], log: Int32, what: String) throws(RuntimeError) {
        let result = try system.run(SpawnRequest(path: path, arguments: [path] + arguments, environment: Self.environment,
                                                 fdMap: [-1, -1, log], umask: 0o022), maxOutput: 1 << 16, code: .runcSetupFailed)
        guard result.status == 0 else { throw RuntimeError(.runcSetupFailed, "\(what) failed with status \(result.status)") }
    }
}
