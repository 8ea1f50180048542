import RuntimeBase
import StrictJSON
import YarnContract

/// What we remember about a live container, so that any later process (signal, state, NodeManager restart)
/// can find it: `<state-root>/containers/<container-id>/state.json`, root-only, written atomically.
public struct ContainerRecord: Sendable {
    public var id: ContainerId
    public var runtime: String
    public var runAsUser: String
    public var uid: UInt32
    /// The pid in the NodeManager's pid file (container init on the host).
    public var pid: Int32
    public var launcherPid: Int32
    public var pidFile: String
    public var bundle: String
    public var status: String
    public var startedAtMonotonicNs: UInt64
    /// `host`, `none` or `routed`; for routed, the container's address and hostname (what YARN's getIpAndHost
    /// reads back through `kata-yarn-runtime state`). Absent in records of older versions.
    public var network: String?
    public var address: String?
    public var hostname: String?
    /// Its share of the node's address, `<node address>:<low>-<high>` (`network.node-address.ports`).
    public var nodeAddressPorts: String?
    /// runsc's network stack for a routed container: `sandbox` (gVisor's netstack) or `host`.
    public var runscNetwork: String?
    /// The NodeManager that launched it (uid, gid): `gc` writes the exit code of an orphan as that identity.
    public var nodeManager: (uid: UInt32, gid: UInt32)?

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id.value), "runtime": .string(runtime), "runAsUser": .string(runAsUser), "uid": .int(uid),
            "pid": .int(Int(pid)), "launcherPid": .int(Int(launcherPid)), "pidFile": .string(pidFile),
            "bundle": .string(bundle), "status": .string(status), "startedAtMonotonicNs": .number(String(startedAtMonotonicNs)),
        ]
        if let network { object["network"] = .string(network) }
        if let address { object["address"] = .string(address) }
        if let hostname { object["hostname"] = .string(hostname) }
        if let nodeAddressPorts { object["nodeAddressPorts"] = .string(nodeAddressPorts) }
        if let runscNetwork { object["runscNetwork"] = .string(runscNetwork) }
        if let nodeManager { object["nodeManagerUid"] = .int(nodeManager.uid); object["nodeManagerGid"] = .int(nodeManager.gid) }
        return .object(object)
    }

    public init(id: ContainerId, runtime: String, runAsUser: String, uid: UInt32, pid: Int32, launcherPid: Int32,
                pidFile: String, bundle: String, status: String, startedAtMonotonicNs: UInt64) {
        self.id = id; self.runtime = runtime; self.runAsUser = runAsUser; self.uid = uid; self.pid = pid
        self.launcherPid = launcherPid; self.pidFile = pidFile; self.bundle = bundle; self.status = status
        self.startedAtMonotonicNs = startedAtMonotonicNs
    }

    public init(json: JSONValue) throws(RuntimeError) {
        func text(_ key: String) throws(RuntimeError) -> String {
            guard let value = json[key]?.stringValue else { throw RuntimeError(.generalFailure, "container record: missing \(key)") }
            return value
        }
        func number(_ key: String) throws(RuntimeError) -> Int64 {
            guard let value = json[key]?.int64Value else { throw RuntimeError(.generalFailure, "container record: missing \(key)") }
            return value
        }
        id = try ContainerId(try text("id"))
        runtime = try text("runtime")
        runAsUser = try text("runAsUser")
        uid = UInt32(truncatingIfNeeded: try number("uid"))
        pid = Int32(truncatingIfNeeded: try number("pid"))
        launcherPid = Int32(truncatingIfNeeded: try number("launcherPid"))
        pidFile = try text("pidFile")
        bundle = try text("bundle")
        status = try text("status")
        startedAtMonotonicNs = UInt64(json["startedAtMonotonicNs"]?.int64Value ?? 0)
        network = json["network"]?.stringValue
        address = json["address"]?.stringValue
        hostname = json["hostname"]?.stringValue
        nodeAddressPorts = json["nodeAddressPorts"]?.stringValue
        runscNetwork = json["runscNetwork"]?.stringValue
        if let uid = json["nodeManagerUid"]?.int64Value, let gid = json["nodeManagerGid"]?.int64Value {
            nodeManager = (UInt32(truncatingIfNeeded: uid), UInt32(truncatingIfNeeded: gid))
        }
    }
}
