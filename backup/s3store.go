package main

// The S3 store: Amazon S3 (EKS, credentials from the SDK's default chain: Pod Identity's container
// credentials) and S3-compatible storage such as DigitalOcean Spaces (keys in the environment, the
// endpoint in AWS_ENDPOINT_URL_S3). Objects are written only if absent (If-None-Match: *); the tool
// never deletes. ?pathStyle=true addresses the bucket in the path (test servers).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

type s3Store struct {
	client *s3.Client
	bucket string
	prefix string
}

func openS3(ctx context.Context, u *url.URL) (Store, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	pathStyle := u.Query().Get("pathStyle") == "true"
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &s3Store{client: client, bucket: u.Host, prefix: prefix}, nil
}

// partSize is the size of a multipart upload's part, and of the largest object written in one PUT.
// One part is held in memory; S3's 10,000 parts bound an object at 320 GB (compressed).
var partSize = 32 << 20

// Put writes name from r only if the key does not exist: in one PUT with If-None-Match when it fits in
// a part, else as a multipart upload whose completion carries If-None-Match (S3 accepts no condition on
// the parts; the bucket policy exempts them through s3:ObjectCreationOperation). An upload that fails
// midway is left to the bucket's lifecycle rule, which aborts incomplete uploads after a day: the
// archiving identity may not abort (delete) anything.
func (s *s3Store) Put(ctx context.Context, name string, r io.Reader) error {
	key := aws.String(s.prefix + name)
	buf := make([]byte, partSize)
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: key, Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)), IfNoneMatch: aws.String("*")})
		return conditional(err)
	}
	if err != nil {
		return err
	}
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: key})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	for number := int32(1); n > 0; number++ {
		if number > 10000 {
			return fmt.Errorf("%s: larger than 10,000 parts of %d MiB", name, partSize>>20)
		}
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &s.bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(number),
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return fmt.Errorf("%s, part %d: %w", name, number, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
		n, err = io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, IfNoneMatch: aws.String("*"),
	})
	return conditional(err)
}

// conditional maps S3's refusal of a conditional write to ErrExists.
func conditional(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "PreconditionFailed" || apiErr.ErrorCode() == "ConditionalRequestConflict") {
		return ErrExists
	}
	return err
}

func (s *s3Store) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + name)})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}

func (s *s3Store) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix + prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing s3://%s/%s%s: %w", s.bucket, s.prefix, prefix, err)
		}
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(*o.Key, s.prefix))
		}
	}
	return names, nil
}
