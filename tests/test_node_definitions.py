"""A node class is checked when it is defined: `run` takes its input ports as keyword-only
arguments, and its outputs are declared."""
from __future__ import annotations

import pytest

from reelgraph.nodes import Input, Node, NodeParams, NodeRegistry, Output, PortKind, default_registry
from reelgraph.nodes.node_checks import NodeDefinitionError


def test_a_node_receives_its_inputs_as_named_arguments(harness):
    outputs = harness.run("text.template", {"template": "{text}!"}, text="hello")
    assert outputs["text"] == "hello!"


def test_an_unconnected_optional_input_arrives_as_none(harness):
    assert harness.run("util.noop", {"label": "nothing connected"})["value"] == "nothing connected"


def test_a_well_formed_node_class_is_accepted():
    class Blend(Node):
        type = "test.blend"
        inputs = {"image": Input(PortKind.IMAGE), "mask": Input(PortKind.IMAGE, optional=True)}
        outputs = {"image": Output(PortKind.IMAGE)}

        def run(self, ctx, params, *, image, mask=None):
            return {"image": image}

    assert Blend.inputs.keys() == {"image", "mask"}


def test_an_input_port_missing_from_run_fails_at_definition_naming_class_and_port():
    with pytest.raises(NodeDefinitionError) as raised:
        class Overlay(Node):
            type = "test.overlay"
            inputs = {"image": Input(PortKind.IMAGE), "mask": Input(PortKind.IMAGE, optional=True)}
            outputs = {"image": Output(PortKind.IMAGE)}

            def run(self, ctx, params, *, image):
                return {"image": image}
    message = str(raised.value)
    assert "Overlay" in message and "'mask'" in message
    assert "def run(self, ctx, params, *, image, mask=None)" in message


def test_a_run_argument_that_is_no_port_fails_at_definition():
    with pytest.raises(NodeDefinitionError, match=r"Typo.*'imgae'.*not a declared input port"):
        class Typo(Node):
            type = "test.typo"
            inputs = {"image": Input(PortKind.IMAGE)}
            outputs = {"image": Output(PortKind.IMAGE)}

            def run(self, ctx, params, *, image, imgae=None):
                return {"image": image}


def test_the_old_positional_inputs_dict_fails_at_definition():
    with pytest.raises(NodeDefinitionError, match=r"OldStyle.*exactly \(self, ctx, params\)"):
        class OldStyle(Node):
            type = "test.old_style"
            inputs = {"image": Input(PortKind.IMAGE)}
            outputs = {"image": Output(PortKind.IMAGE)}

            def run(self, ctx, inputs, params):
                return {"image": inputs["image"]}


def test_an_optional_port_must_default_to_none_and_a_required_one_must_not_default():
    with pytest.raises(NodeDefinitionError, match=r"optional input port 'mask' must default to None"):
        class NoDefault(Node):
            type = "test.no_default"
            inputs = {"mask": Input(PortKind.IMAGE, optional=True)}
            outputs = {"image": Output(PortKind.IMAGE)}

            def run(self, ctx, params, *, mask):
                return {"image": mask}
    with pytest.raises(NodeDefinitionError, match=r"required input port 'image' has a default"):
        class Defaulted(Node):
            type = "test.defaulted"
            inputs = {"image": Input(PortKind.IMAGE)}
            outputs = {"image": Output(PortKind.IMAGE)}

            def run(self, ctx, params, *, image=None):
                return {"image": image}


def test_kwargs_instead_of_named_ports_fails_at_definition():
    with pytest.raises(NodeDefinitionError, match=r"Catchall.*\*\*kwargs"):
        class Catchall(Node):
            type = "test.catchall"
            inputs = {"image": Input(PortKind.IMAGE)}
            outputs = {"image": Output(PortKind.IMAGE)}

            def run(self, ctx, params, **inputs):
                return {"image": inputs["image"]}


def test_a_node_without_declared_outputs_fails_at_definition():
    with pytest.raises(NodeDefinitionError, match=r"Silent.*declares no outputs"):
        class Silent(Node):
            type = "test.silent"

            def run(self, ctx, params):
                return {}


def test_an_output_declared_as_an_input_fails_at_definition():
    with pytest.raises(NodeDefinitionError, match=r"Swapped.*output port 'image' is a Input"):
        class Swapped(Node):
            type = "test.swapped"
            outputs = {"image": Input(PortKind.IMAGE)}

            def run(self, ctx, params):
                return {}


def test_a_subclass_that_adds_a_port_must_take_it_in_run():
    class Base(Node):
        type = "test.base"
        inputs = {"value": Input(PortKind.JSON, optional=True)}
        outputs = {"value": Output(PortKind.JSON)}

        def run(self, ctx, params, *, value=None):
            return {"value": value}

    with pytest.raises(NodeDefinitionError, match=r"Extended.*'after'"):
        class Extended(Base):
            type = "test.extended"
            inputs = {**Base.inputs, "after": Input(PortKind.JSON, optional=True)}


def test_a_node_class_without_run_is_refused_when_registered():
    class Unfinished(Node):
        type = "test.unfinished"
        outputs = {"value": Output(PortKind.JSON)}

    with pytest.raises(ValueError, match=r"'test.unfinished' \(.*Unfinished\) defines no run\(\)"):
        NodeRegistry().register(Unfinished)


def test_every_registered_node_matches_its_declaration():
    # They are checked at import; this names any that slipped through another way.
    for node_type in default_registry():
        assert node_type.outputs, node_type.type
        assert issubclass(node_type.Params, NodeParams)
