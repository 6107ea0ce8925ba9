import HullAPI
import HullEngine
import Hummingbird

/// `/v1/volumes` (named volumes) and `/v1/system` (disk usage, prune).
struct VolumeRoutes {
    let manager: ContainerManager

    func add(to api: DocumentedRouter) {
        api.get("/v1/volumes") { _, _ in
            APIResponse.json(manager.listVolumes())
        }
        api.post("/v1/volumes") { request, _ in
            await APIResponse.handle {
                let body = try await Body.decodeOptional(CreateVolumeRequest.self, from: request) ?? CreateVolumeRequest()
                let (info, created) = try manager.createVolume(body)
                return APIResponse.json(info, status: created ? .created : .ok)
            }
        }
        api.post("/v1/volumes/prune") { _, _ in
            APIResponse.json(manager.pruneVolumes())
        }
        api.get("/v1/system/df") { _, _ in
            await APIResponse.handle { APIResponse.json(try manager.diskUsage()) }
        }
        api.post("/v1/system/prune") { request, _ in
            await APIResponse.handle {
                APIResponse.json(try await manager.prune(volumes: try Query.bool(request, "volumes") ?? false))
            }
        }
        api.get("/v1/volumes/:name") { _, context in
            await APIResponse.handle { APIResponse.json(try manager.volumeInfo(try Path.name(context))) }
        }
        api.delete("/v1/volumes/:name") { request, context in
            await APIResponse.handle {
                try manager.removeVolume(try Path.name(context), force: try Query.bool(request, "force") ?? false)
                return APIResponse.noContent
            }
        }
    }
}
