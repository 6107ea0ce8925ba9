import HullAPI
import HullEngine
import Hummingbird

/// `/v1/containers/{id}/exec` and `/v1/exec/{execID}/…`.
struct ExecRoutes {
    let manager: ContainerManager

    func add(to api: DocumentedRouter) {
        api.post("/v1/containers/:id/exec") { request, context in
            await APIResponse.handle {
                let body = try await Body.decode(ExecSpec.self, from: request)
                return APIResponse.json(ExecCreated(execID: try await manager.exec(try Path.id(context), body)), status: .created)
            }
        }
        api.get("/v1/exec/:id") { _, context in
            await APIResponse.handle { APIResponse.json(try manager.execInfo(try Path.id(context))) }
        }
        api.get("/v1/exec/:id/output") { _, context in
            await APIResponse.handle {
                APIResponse.stream(try manager.execOutput(try Path.id(context)))
            }
        }
        api.post("/v1/exec/:id/stdin") { request, context in
            await APIResponse.handle {
                try await manager.sendExecStdin(try Path.id(context), request.body.map { Array($0.readableBytesView) })
                return APIResponse.noContent
            }
        }
        api.post("/v1/exec/:id/resize") { request, context in
            await APIResponse.handle {
                let size = try await Body.decode(ResizeBody.self, from: request)
                try await manager.execResize(try Path.id(context), rows: size.rows, columns: size.columns)
                return APIResponse.noContent
            }
        }
        api.post("/v1/exec/:id/kill") { request, context in
            await APIResponse.handle {
                let signal = try SignalName.parse(request.uri.queryParameters["signal"].map(String.init) ?? "KILL")
                try await manager.execSignal(try Path.id(context), signal: signal)
                return APIResponse.noContent
            }
        }
        api.post("/v1/exec/:id/wait") { _, context in
            await APIResponse.handle {
                APIResponse.json(WaitResult(exitCode: try await manager.execWait(try Path.id(context)), exitReason: nil))
            }
        }
    }
}
