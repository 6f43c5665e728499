"""Magnum's objects persist on SQLite and a cluster moves through its statuses."""

from magnum import objects
from magnum.objects import fields

from tests.rig import magnum as magnum_rig


class TestMagnumRig(magnum_rig.MagnumDbTestCase):

    def test_template_and_cluster_round_trip(self):
        template = self.make_template(coe='kubernetes', labels={'a': 'b'})
        cluster = self.make_cluster(template, master_count=3, node_count=2)
        loaded = objects.Cluster.get_by_uuid(self.context, cluster.uuid)
        self.assertEqual(template.uuid, loaded.cluster_template_id)
        self.assertEqual(3, loaded.master_count)
        self.assertEqual(2, loaded.node_count)
        self.assertEqual({'a': 'b'}, loaded.cluster_template.labels)

        loaded.status = fields.ClusterStatus.CREATE_COMPLETE
        loaded.health_status = fields.ClusterHealthStatus.HEALTHY
        loaded.save()
        again = objects.Cluster.get_by_uuid(self.context, cluster.uuid)
        self.assertEqual('CREATE_COMPLETE', again.status)
        self.assertEqual('HEALTHY', again.health_status)

        again.destroy()
        self.assertEqual([], objects.Cluster.list(self.context))

    def test_each_test_gets_a_fresh_database(self):
        self.assertEqual([], objects.Cluster.list(self.context))
        self.assertEqual([], objects.ClusterTemplate.list(self.context))
