// Runs once, on the first start with an empty database: the API's own user, who may read and
// write its database and nothing else (the root user stays for administration).
db.getSiblingDB('admin').createUser({
  user: process.env.RPAI_MONGO_USERNAME,
  pwd: process.env.RPAI_MONGO_PASSWORD,
  roles: [{ role: 'readWrite', db: 'retail_performer' }],
});
