import LinuxSystem
import RuntimeBase
import RuntimeCore
import StrictJSON
import YarnContract

/// Thin mapping from a decoded request to one use case.
struct Dispatcher {
    let context: RuntimeContext
    var system: any System { context.system }

    func run(_ request: YarnRequest) throws(RuntimeError) -> Int32 {
        switch request {
        case .checkSetup:
            try SetupCheck.kata(context)
            return 0
        case .launchContainer(let launch):
            announce(1, launch.users)
            return try LaunchContainer(context: context).run(launch)
        case .signalContainer(let users, let pid, let signal):
            announce(2, users)
            return try SignalContainer(context: context).signalPid(users: users, pid: pid, signal: signal).rawValue
        case .initializeContainer(let initialize):
            announce(0, initialize.users)
            return try InitializeContainer(context: context).run(initialize)
        case .deleteAsUser(let users, let subdirectory, let bases):
            announce(3, users)
            return try DeleteAsUser(context: context).run(users: users, subdirectory: subdirectory, baseDirectories: bases)
        case .listAsUser(let users, let directory):
            announce(5, users)
            return try ListAsUser(context: context).run(users: users, directory: directory)
        case .syncYarnSysfs(let users, let app, let locals):
            announce(6, users)
            return try SyncYarnSysfs(context: context).run(users: users, applicationId: app, localDirectories: locals)
        case .runRuncContainer(let file):
            return try RunRuncContainer(context: context).run(commandFile: file)
        case .reapRuncLayerMounts:
            // Image layers are mounted per container and unmounted when it ends; no shared layer mounts linger.
            guard context.config.features.runc else { throw RuntimeError(.featureDisabled, "Feature disabled: runc") }
            return 0
        case .mountCgroups(let hierarchy, let pairs):
            return try MountCgroups(context: context).run(hierarchy: hierarchy, pairs: pairs)
        case .trafficControl:
            throw RuntimeError(.featureDisabled, "Feature disabled: traffic control is not supported by kata-yarn-runtime")
        case .execContainer:
            throw RuntimeError(.featureDisabled, "Feature disabled: interactive exec into containers is not supported")
        case .deviceModule(let name):
            throw RuntimeError(.featureDisabled, "Feature disabled: \(name) device isolation is not supported")
        case .launch(let id, let contextFile, let runtime):
            var launch = try LaunchContextLoader(context: context).load(id, file: contextFile)
            if let runtime { launch.requestedRuntime = runtime }
            return try LaunchContainer(context: context).run(launch)
        case .signal(let id, let signal):
            return try SignalContainer(context: context).signalContainer(id, signal: signal).rawValue
        case .state(let id):
            system.writeStandardOutput(JSONWriter.encode(try ContainerAdmin(context: context).state(id)))
            return 0
        case .list:
            system.writeStandardOutput(ListFormatter.table(try ContainerAdmin(context: context).list()))
            return 0
        case .delete(let id):
            try ContainerAdmin(context: context).delete(id)
            return 0
        case .gc:
            for line in try GarbageCollector(context: context).run() { system.writeStandardOutput(line) }
            return 0
        case .docker, .launchDockerContainer:
            throw RuntimeError(.featureDisabled, "Feature disabled: docker is not supported by kata-yarn-runtime; request a sandbox with YARN_CONTAINER_RUNTIME_TYPE=kata")
        }
    }

    /// container-executor prints these three lines first for every numeric command; the NM skips them.
    func announce(_ command: Int, _ users: UserPair) {
        system.writeStandardOutput("main : command provided \(command)\nmain : run as user is \(users.runAsUser)\nmain : requested yarn user is \(users.yarnUser)")
    }
}

/// Reads our JSON launch context as the NodeManager (the caller): default `<state-root>/contexts/<id>.json`.
struct LaunchContextLoader {
    let context: RuntimeContext

    func load(_ id: ContainerId, file: AbsolutePath?) throws(RuntimeError) -> LaunchRequest {
        var path = try context.stateRoot.appending("contexts").appending(id.value + ".json")
        if let file { path = file }
        let bytes = try context.asNodeManager { () throws(RuntimeError) -> [UInt8] in
            try context.system.readFile(path.value, maxBytes: LaunchContextFile.maxBytes, code: .invalidArgumentNumber)
        }
        return try LaunchContextFile.decode(bytes, expecting: id)
    }
}

enum ListFormatter {
    static func table(_ rows: [JSONValue]) -> String {
        var lines = ["CONTAINER ID                                RUNTIME  STATUS    PID      USER"]
        for row in rows {
            let id = row["id"]?.stringValue ?? "?"
            let runtime = row["runtime"]?.stringValue ?? "?"
            let status = row["status"]?.stringValue ?? "?"
            let pid = row["pid"]?.int64Value.map(String.init) ?? "-"
            let user = row["runAsUser"]?.stringValue ?? "?"
            lines.append([pad(id, 43), pad(runtime, 8), pad(status, 9), pad(pid, 8), user].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
