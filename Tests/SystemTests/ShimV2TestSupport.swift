import Foundation
import Glibc
import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import YarnContract

/// Real-shim fixtures: bundles under a root-owned 0700 temp dir, laid out as the launcher lays them out
/// (`<dir>/<container id>/bundle`, so the shim's `delete` action must go through the driver's alias).
enum ShimFixture {
    static let shimDirectory = "/usr/bin"
    static let shimBinary = "/usr/bin/containerd-shim-runc-v2"
    static let namespace = "kata-yarn"
    /// Its presence opts into ShimV2LatencyTests; its content is the number of runs.
    static let benchmarkOptIn = "/run/kyr-shimv2-bench"

    /// Root, the runc shim and runc: what driving a real container needs.
    static var available: Bool {
        geteuid() == 0 && access(shimBinary, X_OK) == 0 && (access("/usr/sbin/runc", X_OK) == 0 || access("/usr/bin/runc", X_OK) == 0)
    }

    final class Workspace {
        let root: String
        let stateDirectory: AbsolutePath
        let driver: ShimV2Driver
        private var counter = 0
        /// The id's application number: workspaces of parallel suites share the pid and often the millisecond, and
        /// their containers share the shim's runc root, so pid and counter alone collided ("already exists").
        private let application = Int.random(in: 1..<1_000_000)

        init() throws {
            var template = Array("/tmp/kyr-shimv2-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
            root = String(cString: made)
            chmod(root, 0o700)
            stateDirectory = try AbsolutePath(root + "/state/shim")
            driver = try ShimV2Driver.named("shim:runc", shimDirectory: try AbsolutePath(shimDirectory), stateDirectory: stateDirectory)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        /// A fresh driver value: nothing carried over in memory, as in a new launcher process.
        func freshDriver() throws -> ShimV2Driver {
            try ShimV2Driver.named("shim:runc", shimDirectory: try AbsolutePath(ShimFixture.shimDirectory), stateDirectory: stateDirectory)
        }

        func newId() throws -> ContainerId {
            counter += 1
            let stamp = UInt64(Date().timeIntervalSince1970 * 1000)
            return try ContainerId("container_\(stamp)_\(application)_01_\(String(format: "%06d", counter))")
        }

        /// Builds `<root>/<id>/bundle` whose init runs `sh -c script`, plus stdout/stderr files; returns the request.
        func bundle(_ id: ContainerId, script: String, annotations: [String: String] = [:]) throws -> (StartRequest, out: String, err: String) {
            let dir = root + "/" + id.value
            let bundle = dir + "/bundle"
            let rootfs = bundle + "/rootfs"
            let fm = FileManager.default
            for sub in ["usr", "etc", "proc", "dev", "tmp", "sys"] {
                try fm.createDirectory(atPath: rootfs + "/" + sub, withIntermediateDirectories: true)
            }
            for (name, target) in [("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")] {
                try fm.createSymbolicLink(atPath: rootfs + "/" + name, withDestinationPath: target)
            }
            try Self.config(script: script, annotations: annotations).write(toFile: bundle + "/config.json", atomically: true, encoding: .utf8)
            let out = dir + "/stdout", err = dir + "/stderr"
            let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            let outFD = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            let errFD = open(err, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            openDescriptors += [devNull, outFD, errFD]
            let request = StartRequest(id: id, bundle: try AbsolutePath(bundle), stdio: [devNull, outFD, errFD],
                                       workDirectory: try AbsolutePath(dir))
            return (request, out, err)
        }

        var openDescriptors: [Int32] = []
        func closeDescriptors() { openDescriptors.forEach { close($0) }; openDescriptors = [] }

        static func config(script: String, annotations: [String: String]) throws -> String {
            let spec: [String: Any] = [
                "ociVersion": "1.0.2",
                "process": [
                    "terminal": false, "user": ["uid": 0, "gid": 0], "cwd": "/",
                    "args": ["/bin/sh", "-c", script],
                    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    "noNewPrivileges": true,
                ],
                "root": ["path": "rootfs", "readonly": true],
                "hostname": "shimtest",
                "mounts": [
                    ["destination": "/proc", "type": "proc", "source": "proc"],
                    ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
                    ["destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=16m"]],
                    ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]],
                    ["destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]],
                    ["destination": "/etc", "type": "bind", "source": "/etc", "options": ["rbind", "ro"]],
                ],
                "annotations": annotations,
                "linux": [
                    "namespaces": [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]],
                    "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
                ],
            ]
            let data = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Polls until `condition` holds or `seconds` pass.
    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end { if condition() { return true }; usleep(10_000) }
        return condition()
    }

    static func processIsLive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// Everything a finished container may leave: returns what is still there (empty = clean).
    static func leftovers(id: ContainerId, shimPid: Int32, socket: String, workspace: Workspace) -> [String] {
        var found: [String] = []
        if processIsLive(shimPid) { found.append("shim process \(shimPid)") }
        if FileManager.default.fileExists(atPath: socket) { found.append("socket \(socket)") }
        let state = workspace.stateDirectory.value + "/" + id.value
        if FileManager.default.fileExists(atPath: state) { found.append("state dir \(state)") }
        let runcState = "/run/containerd/runc/\(namespace)/\(id.value)"
        if FileManager.default.fileExists(atPath: runcState) { found.append("runc state \(runcState)") }
        let mounts = read("/proc/self/mountinfo").split(separator: "\n").filter { $0.contains(workspace.root) }
        found += mounts.map { "mount \($0)" }
        let shims = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in shims where Int32(entry) != nil {
            let cmdline = read("/proc/\(entry)/cmdline")
            if cmdline.contains(id.value) && processIsLive(Int32(entry)!) { found.append("process \(entry) naming the id") }
        }
        return found
    }
}
