import StrictJSON

extension Spec {
    /// The `config.json` document.
    public var json: JSONValue {
        var top: [String: JSONValue] = [
            "ociVersion": .string(Spec.version),
            "process": process.json,
            "root": .object(["path": .string(root.path), "readonly": .bool(root.readonly)]),
            "mounts": .array(mounts.map(\.json)),
            "linux": linux.json,
        ]
        if let hostname { top["hostname"] = .string(hostname) }
        if !annotations.isEmpty { top["annotations"] = .object(annotations.mapValues { .string($0) }) }
        return .object(top)
    }

    public func encoded() -> String { JSONWriter.encode(json) }
}

extension Spec.Process {
    var json: JSONValue {
        var user: [String: JSONValue] = ["uid": .int(self.user.uid), "gid": .int(self.user.gid)]
        if !self.user.additionalGids.isEmpty { user["additionalGids"] = .array(self.user.additionalGids.map { .int($0) }) }
        if let umask = self.user.umask { user["umask"] = .int(umask) }
        return .object([
            "terminal": .bool(false),
            "args": .strings(args),
            "env": .strings(env),
            "cwd": .string(cwd),
            "user": .object(user),
            "capabilities": .object([
                "bounding": .strings(capabilities.bounding),
                "effective": .strings(capabilities.effective),
                "permitted": .strings(capabilities.permitted),
                "inheritable": .strings(capabilities.inheritable),
                "ambient": .strings(capabilities.ambient),
            ]),
            "noNewPrivileges": .bool(noNewPrivileges),
            "rlimits": .array(rlimits.map {
                .object(["type": .string($0.type), "hard": .number(String($0.hard)), "soft": .number(String($0.soft))])
            }),
        ])
    }
}

extension Spec.Mount {
    var json: JSONValue {
        var object: [String: JSONValue] = ["destination": .string(destination), "type": .string(type), "source": .string(source)]
        if !options.isEmpty { object["options"] = .strings(options) }
        return .object(object)
    }
}

extension Spec.Linux {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "namespaces": .array(namespaces.map { type in
                if type == "network", let path = networkNamespacePath { return .object(["type": .string(type), "path": .string(path)]) }
                return .object(["type": .string(type)])
            }),
            "resources": resources.json,
            "maskedPaths": .strings(maskedPaths),
            "readonlyPaths": .strings(readonlyPaths),
        ]
        if let cgroupsPath { object["cgroupsPath"] = .string(cgroupsPath) }
        if let seccomp { object["seccomp"] = seccomp }
        return .object(object)
    }
}

extension Spec.Resources {
    var json: JSONValue {
        // Deny every device node by default; /dev inside is a private tmpfs the runtime populates.
        var object: [String: JSONValue] = ["devices": .array([.object(["allow": .bool(false), "access": .string("rwm")])])]
        if let memoryLimitBytes { object["memory"] = .object(["limit": .number(String(memoryLimitBytes))]) }
        var cpu: [String: JSONValue] = [:]
        if let cpuShares { cpu["shares"] = .number(String(cpuShares)) }
        if let cpuQuota { cpu["quota"] = .number(String(cpuQuota)) }
        if let cpuPeriod { cpu["period"] = .number(String(cpuPeriod)) }
        if !cpu.isEmpty { object["cpu"] = .object(cpu) }
        if let pidsLimit { object["pids"] = .object(["limit": .number(String(pidsLimit))]) }
        return .object(object)
    }
}
