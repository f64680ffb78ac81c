"""A hello-world agent on the real a2a-sdk (run by that SDK's own Python, not the test venv):
`python a2a_real_agent.py PORT`. 0.3.x: A2AStarletteApplication; 1.x: the route builders."""

import sys

import uvicorn
from a2a.server.agent_execution import AgentExecutor
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.tasks import InMemoryTaskStore


class Idle(AgentExecutor):
    async def execute(self, context, event_queue):  # never reached: the scanner sends no message
        pass

    async def cancel(self, context, event_queue):
        pass


def app(port: int):
    try:
        from a2a.types.a2a_pb2 import AgentCapabilities, AgentCard, AgentInterface, AgentSkill
    except ImportError:  # 0.3.x
        from a2a.server.apps import A2AStarletteApplication
        from a2a.types import AgentCapabilities, AgentCard, AgentSkill
        card = AgentCard(name="Hello World Agent", description="hi", url=f"http://127.0.0.1:{port}/", version="1.0.0",
                         default_input_modes=["text"], default_output_modes=["text"],
                         capabilities=AgentCapabilities(streaming=True),
                         skills=[AgentSkill(id="hello_world", name="Hello", description="hi", tags=["hi"])])
        handler = DefaultRequestHandler(agent_executor=Idle(), task_store=InMemoryTaskStore())
        return A2AStarletteApplication(agent_card=card, http_handler=handler).build()
    from starlette.applications import Starlette
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    card = AgentCard(name="Hello World Agent", description="hi", version="1.0.0",
                     supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}/", protocol_binding="JSONRPC",
                                                          protocol_version="1.0")],
                     default_input_modes=["text"], default_output_modes=["text"],
                     capabilities=AgentCapabilities(streaming=True),
                     skills=[AgentSkill(id="hello_world", name="Hello", description="hi", tags=["hi"])])
    handler = DefaultRequestHandler(agent_executor=Idle(), task_store=InMemoryTaskStore(), agent_card=card)
    return Starlette(routes=create_agent_card_routes(card) + create_jsonrpc_routes(handler, "/"))


if __name__ == "__main__":
    port = int(sys.argv[1])
    uvicorn.run(app(port), host="127.0.0.1", port=port, log_level="warning")
